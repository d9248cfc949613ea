package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Demand decides what is mapped: nothing before a request, one window per unit of demand plus read-ahead. */
@ExtendWith(NoLeakedWindows.class)
class DemandTest {
    @TempDir
    Path dir;

    @Test
    void nothingIsMappedBeforeTheFirstRequest() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        long mappedBefore = MappingStats.snapshot().windowsMapped();

        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 2, budget)).subscribe(s);

        assertNotNull(s.subscription, "onSubscribe must have been called");
        assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped(), "windows mapped on subscribe alone");
        assertEquals(0, budget.liveWindows());
        assertTrue(s.received.isEmpty());
        s.cancel();
        assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped(), "windows mapped by a cancel without request");
    }

    @Test
    void eachRequestEmitsOneWindowAndMapsOnlyTheReadAheadBeyondIt() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 10L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        int readAhead = 2;

        StepVerifier.create(MappedFile.windows(file, Windows.options(PAGE, readAhead, budget)), 0)
                .expectSubscription()
                .then(() -> assertEquals(0, budget.liveWindows(), "mapped before any request"))
                .thenRequest(1)
                .assertNext(w -> {
                    assertEquals(0, w.offset());
                    assertEquals(1 + readAhead, budget.liveWindows(), "the requested window plus the read-ahead");
                    w.close();
                })
                .then(() -> assertEquals(readAhead, budget.liveWindows(), "after closing the only emitted window"))
                .thenRequest(2)
                .assertNext(w -> {
                    assertEquals(PAGE, w.offset());
                    w.close();
                })
                .assertNext(w -> {
                    assertEquals(2L * PAGE, w.offset());
                    assertEquals(1 + readAhead, budget.liveWindows());
                    w.close();
                })
                .then(() -> assertEquals(readAhead, budget.liveWindows()))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        assertEquals(0, budget.liveWindows(), "cancel closes the windows read ahead");
    }

    @Test
    void aStreamRequestedOneWindowAtATimeVisitsEveryWindowInOrder() throws Exception {
        long size = 5L * PAGE + 17;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        StepVerifier.Step<MappedWindow> step = StepVerifier.create(
                MappedFile.windows(file, Windows.options(PAGE, 1, Windows.privateBudget())), 0);
        for (long offset = 0; offset < size; offset += PAGE) {
            long expected = offset;
            step = step.thenRequest(1).assertNext(w -> {
                try (w) {
                    assertEquals(expected, w.offset());
                    assertEquals((int) Math.min(PAGE, size - expected), w.length());
                    Windows.assertPatternBytes(w);
                }
            });
        }
        step.verifyComplete();
    }

    @ParameterizedTest(name = "readAhead={0}")
    @ValueSource(ints = {0, 1, 3})
    void unboundedDemandWithASynchronousConsumerKeepsOneWindowPlusReadAheadMapped(int readAhead) throws Exception {
        int windows = 40;
        Path file = TestFiles.pattern(dir, "f.bin", (long) windows * PAGE);
        MappingBudget budget = Windows.privateBudget();
        AtomicLong maxLive = new AtomicLong();

        Flux<MappedWindow> flux = MappedFile.windows(file, Windows.options(PAGE, readAhead, budget));
        StepVerifier.create(flux.doOnNext(w -> {
                    maxLive.accumulateAndGet(budget.liveWindows(), Math::max);
                    w.close();
                }))
                .expectNextCount(windows)
                .verifyComplete();
        // Exactly: more would mean request(Long.MAX_VALUE) maps ahead of the consumer; less, that read-ahead is off.
        assertEquals(1 + readAhead, maxLive.get(), "most windows mapped at once for request(Long.MAX_VALUE)");
    }

    @Test
    void aSubscriberHoldingWindowsStallsTheSourceAtMaxLiveBytesAndClosingResumesIt() throws Exception {
        int windows = 20;
        Path file = TestFiles.pattern(dir, "f.bin", (long) windows * PAGE);
        MappingBudget budget = Windows.privateBudget();
        long maxLiveBytes = 5L * PAGE;
        MapOptions options = Windows.options(PAGE, 1, budget).withMaxLiveBytes(maxLiveBytes);

        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, options).subscribe(s);
        s.request(Long.MAX_VALUE);

        // Page-sized windows at page-aligned offsets map exactly one page each: the bound admits exactly 5.
        assertEquals(5, s.received.size(), "windows emitted while the subscriber holds all of them");
        assertEquals(maxLiveBytes, budget.mappedBytes());
        assertEquals(1, s.terminated.getCount(), "must not terminate while stalled");

        s.received.get(0).close();
        assertEquals(6, s.received.size(), "closing one window lets exactly one more through");
        assertEquals(maxLiveBytes, budget.mappedBytes());

        // Close everything as it arrives from now on: the stream must run to the end.
        while (s.received.size() < windows) {
            int before = s.received.size();
            s.closeAll();
            assertTrue(s.received.size() > before, "closing windows must resume the stream");
        }
        s.closeAll();
        assertTrue(s.awaitTermination(Duration.ofSeconds(5)));
        assertTrue(s.completed, () -> "expected completion, got " + s.error);
        assertEquals(0, budget.mappedBytes());
    }

    @Test
    void aQueueingConsumerNeverGetsMoreThanMaxLiveBytesMapped() throws Exception {
        int windows = 64;
        Path file = TestFiles.pattern(dir, "f.bin", (long) windows * PAGE);
        MappingBudget budget = Windows.privateBudget();
        long maxLiveBytes = 8L * PAGE;
        MapOptions options = Windows.options(PAGE, 2, budget).withMaxLiveBytes(maxLiveBytes);
        AtomicLong maxSeen = new AtomicLong();
        Scheduler consumer = Schedulers.newSingle("slow-consumer");
        try {
            MappingStats.resetPeak();
            // publishOn prefetches 256 windows: item demand alone would map the whole file.
            StepVerifier.create(MappedFile.windows(file, options)
                            .publishOn(consumer, 256)
                            .map(w -> {
                                try (w) {
                                    maxSeen.accumulateAndGet(budget.mappedBytes(), Math::max);
                                    Windows.assertPatternBytes(w);
                                    sleepQuietly(1);
                                    return w.offset();
                                }
                            })
                            .doOnDiscard(MappedWindow.class, MappedWindow::close))
                    .expectNextCount(windows)
                    .verifyComplete();
            long peak = MappingStats.snapshot().peakMappedBytes();
            assertTrue(peak <= maxLiveBytes, "peak mapped bytes " + peak + " > maxLiveBytes " + maxLiveBytes);
            assertTrue(maxSeen.get() <= maxLiveBytes, "mapped bytes seen by the consumer: " + maxSeen.get());
            // The consumer is slow, so the queue fills up to the bound: this shows the bound, not the consumer, limited it.
            assertTrue(maxSeen.get() >= 4L * PAGE, "the queue never filled (max seen " + maxSeen.get() + ")");
        } finally {
            consumer.dispose();
        }
    }

    @ParameterizedTest(name = "request({0})")
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void aNonPositiveRequestIsSignalledAsOnErrorNotThrown(long n) throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        RecordingSubscriber s = RecordingSubscriber.closing();
        MappedFile.windows(file, Windows.options(PAGE, 1, budget)).subscribe(s);

        assertDoesNotThrow(() -> s.request(n));
        assertTrue(s.awaitTermination(Duration.ofSeconds(5)));
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, s.error);
        assertTrue(e.getMessage().contains("3.9") && e.getMessage().contains(Long.toString(n)), e.getMessage());
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void aNonPositiveRequestMidStreamClosesTheWindowsReadAhead() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        RecordingSubscriber s = RecordingSubscriber.closing();
        MappedFile.windows(file, Windows.options(PAGE, 2, budget)).subscribe(s);
        s.request(1);
        assertEquals(2, budget.liveWindows(), "two windows read ahead");

        assertDoesNotThrow(() -> s.request(0));
        assertInstanceOf(IllegalArgumentException.class, s.error);
        assertEquals(0, budget.liveWindows());
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
