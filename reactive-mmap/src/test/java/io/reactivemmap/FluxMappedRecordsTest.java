package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The record operator against misbehaving and failing window sources, and its byte search. */
@ExtendWith(NoLeakedWindows.class)
@Timeout(60)
class FluxMappedRecordsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void indexOfFindsTheFirstMatchLikeANaiveLoop() {
        Random random = new Random(7);
        for (int round = 0; round < 2000; round++) {
            byte[] bytes = new byte[random.nextInt(40)];
            for (int i = 0; i < bytes.length; i++) {
                // Few distinct values, including 0x80/0x00/0x01 that stress the "has zero byte" arithmetic.
                bytes[i] = new byte[] {0, 1, (byte) 0x80, (byte) 0xff, '\n', 'a'}[random.nextInt(6)];
            }
            byte b = new byte[] {0, 1, (byte) 0x80, (byte) 0xff, '\n'}[random.nextInt(5)];
            int from = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
            int to = from + random.nextInt(bytes.length - from + 1);
            long expected = -1;
            for (int i = from; i < to; i++) {
                if (bytes[i] == b) {
                    expected = i;
                    break;
                }
            }
            assertEquals(expected, FluxMappedRecords.indexOf(MemorySegment.ofArray(bytes), from, to, b),
                    "round " + round);
        }
    }

    @Test
    void windowArrivingAfterCancelIsClosedAndNoRecordFollowsTheCancel() throws Exception {
        Path f = Files.writeString(dir.resolve("late.txt"), "aa\nbb\ncc\ndd\n");
        MapOptions options = MapOptions.defaults().withWindowSize(3).withReadAhead(0);
        AtomicReference<Subscription> real = new AtomicReference<>();
        // A source that ignores cancel, so the test can deliver a window after the operator cancelled.
        Flux<MappedWindow> ignoresCancel = Flux.from(downstream -> MappedFile.windows(f, options).subscribe(new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                real.set(s);
                downstream.onSubscribe(new Subscription() {
                    @Override
                    public void request(long n) {
                        s.request(n);
                    }

                    @Override
                    public void cancel() {
                        // ignored on purpose
                    }
                });
            }

            @Override
            protected void hookOnNext(MappedWindow w) {
                downstream.onNext(w);
            }

            @Override
            protected void hookOnComplete() {
                downstream.onComplete();
            }

            @Override
            protected void hookOnError(Throwable t) {
                downstream.onError(t);
            }
        }));
        TestSubscriber<MappedRecord> ts = TestSubscriber.builder().initialRequest(1).build();
        new FluxMappedRecords(ignoresCancel, f, -1, RecordOptions.lines().withMapOptions(options)).subscribe(ts);
        assertEquals(1, ts.getReceivedOnNext().size());
        ts.getReceivedOnNext().forEach(MappedRecord::close);
        ts.cancel();
        assertEquals(0, MappingStats.snapshot().liveWindows(), "cancel closed the window the operator held");

        long mappedBefore = MappingStats.snapshot().windowsMapped();
        real.get().request(2); // late arrivals
        assertEquals(mappedBefore + 2, MappingStats.snapshot().windowsMapped(), "the source did deliver late windows");
        assertTrue(ts.getReceivedOnNextAfterCancellation().isEmpty());
        assertEquals(0, MappingStats.snapshot().liveWindows(), "late windows were closed on arrival");
        real.get().cancel();
    }

    @Test
    void errorFromTheWindowSourceArrivesThroughOnErrorAndClosesTheCurrentWindow() throws Exception {
        Path f = Files.writeString(dir.resolve("err.txt"), "aa\nbb\ncc\ndd\n");
        MapOptions options = MapOptions.defaults().withWindowSize(4);
        Flux<MappedWindow> failing = Flux.concat(MappedFile.windows(f, options).take(1),
                Flux.error(new IOException("disk on fire")));
        StepVerifier.create(new FluxMappedRecords(failing, f, -1, RecordOptions.lines().withMapOptions(options)), 0)
                .thenRequest(1)
                .assertNext(r -> {
                    assertEquals("aa", r.toString(StandardCharsets.US_ASCII));
                    r.close();
                })
                .thenRequest(5)
                .expectErrorMessage("disk on fire")
                .verify(TIMEOUT);
    }

    @Test
    void badRequestIsSignalledNotThrown() throws Exception {
        Path f = Files.writeString(dir.resolve("bad.txt"), "aa\nbb\n");
        AtomicReference<Subscription> subscription = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        MappedRecords.lines(f).subscribe(new org.reactivestreams.Subscriber<>() {
            @Override
            public void onSubscribe(Subscription s) {
                subscription.set(s);
            }

            @Override
            public void onNext(MappedRecord r) {
                r.close();
            }

            @Override
            public void onError(Throwable t) {
                error.set(t);
            }

            @Override
            public void onComplete() {
            }
        });
        subscription.get().request(-1);
        assertTrue(error.get() instanceof IllegalArgumentException && error.get().getMessage().contains("§3.9"),
                String.valueOf(error.get()));
    }
}
