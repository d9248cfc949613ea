package io.reactivemmap;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many subscribers and many threads: content stays right, windows are unmapped exactly once, misuse is an exception. */
@ExtendWith(NoLeakedWindows.class)
class ConcurrencyTest {
    @TempDir
    Path dir;

    @Test
    void sixteenConcurrentSubscribersOnOneFileEachSeeEveryByte() throws Exception {
        long size = 512L * 1024 + 333;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        MappingBudget budget = Windows.privateBudget();
        int subscribers = 16;
        ExecutorService pool = Executors.newFixedThreadPool(subscribers);
        try {
            CyclicBarrier start = new CyclicBarrier(subscribers);
            List<CompletableFuture<Long>> results = new ArrayList<>();
            for (int i = 0; i < subscribers; i++) {
                int windowSize = PAGE * (1 + i % 4) + i; // different, unaligned window sizes per subscriber
                int readAhead = 1 + i % 3;
                results.add(CompletableFuture.supplyAsync(() -> {
                    await(start);
                    return MappedFile.read(file, Windows.options(windowSize, readAhead, budget), w -> {
                        Windows.assertPatternBytes(w);
                        return (long) w.length();
                    }).reduce(0L, Long::sum).block(Duration.ofSeconds(30));
                }, pool));
            }
            for (CompletableFuture<Long> r : results) {
                assertEquals(size, r.get(60, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void windowsRetainedOnOtherThreadsStayMappedUntilTheLastReleaseAndTheStreamCompletes() throws Exception {
        long size = 256L * PAGE;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        MappingBudget budget = Windows.privateBudget();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Void>> reads = new CopyOnWriteArrayList<>();
            StepVerifier.create(MappedFile.windows(file, Windows.options(PAGE, 2, budget).withMaxLiveBytes(16L * PAGE))
                            .doOnNext(w -> {
                                // Two extra holders on other threads; the subscriber's own reference goes at once.
                                for (int k = 0; k < 2; k++) {
                                    w.retain();
                                    reads.add(CompletableFuture.runAsync(() -> {
                                        try {
                                            Windows.assertPatternBytes(w);
                                        } catch (Throwable t) {
                                            failures.add(t);
                                        } finally {
                                            w.release();
                                        }
                                    }, readers));
                                }
                                w.close();
                            }))
                    .expectNextCount(256)
                    .verifyComplete();
            CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        } finally {
            readers.shutdownNow();
        }
        assertEquals(List.of(), failures);
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void windowsClosedOnManyThreadsDriveTheSourceWithoutLosingOrDuplicatingWindows() throws Exception {
        int windows = 400;
        Path file = TestFiles.pattern(dir, "f.bin", (long) windows * PAGE);
        MappingBudget budget = Windows.privateBudget();
        MapOptions options = Windows.options(PAGE, 2, budget).withMaxLiveBytes(6L * PAGE);
        List<Long> offsets = MappedFile.windows(file, options)
                .publishOn(Schedulers.parallel(), 8)
                .flatMap(w -> Mono.fromCallable(() -> {
                            Windows.assertPatternBytes(w);
                            return w.offset();
                        })
                        .subscribeOn(Schedulers.boundedElastic())
                        .doFinally(s -> w.close()), 4)
                .doOnDiscard(MappedWindow.class, MappedWindow::close)
                .collectSortedList()
                .block(Duration.ofSeconds(30));
        assertEquals(windows, offsets.size());
        for (int i = 0; i < windows; i++) {
            assertEquals((long) i * PAGE, offsets.get(i));
        }
        // doFinally closes after the value went downstream, so the last closes may trail the completion a little.
        Windows.await(Duration.ofSeconds(5), () -> budget.liveWindows() == 0, "left mapped: " + budget);
    }

    @RepeatedTest(20)
    void concurrentClosesOfOneWindowUnmapItExactlyOnce() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 2L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, budget)).subscribe(s);
        s.request(1);
        MappedWindow w = s.received.getFirst();
        s.cancel();

        int threads = 8;
        CyclicBarrier start = new CyclicBarrier(threads);
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        long unmappedBefore = MappingStats.snapshot().windowsUnmapped();
        List<Thread> closers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            closers.add(Thread.ofPlatform().start(() -> {
                try {
                    await(start);
                    w.close();
                    w.close();
                } catch (Throwable t) {
                    thrown.add(t);
                }
            }));
        }
        for (Thread t : closers) {
            t.join(10_000);
        }
        assertEquals(List.of(), thrown, "close() must be idempotent and thread-safe");
        assertEquals(unmappedBefore + 1, MappingStats.snapshot().windowsUnmapped(), "unmapped more or less than once");
        assertEquals(0, w.refCnt());
        assertFalse(w.isOpen());
        assertEquals(0, budget.liveWindows());
    }

    @RepeatedTest(10)
    void racingRetainReleasePairsAndACloseUnmapOnceAfterTheLastRelease() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 2L * PAGE);
        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, Windows.privateBudget())).subscribe(s);
        s.request(1);
        MappedWindow w = s.received.getFirst();
        s.cancel();

        int threads = 6;
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        long unmappedBefore = MappingStats.snapshot().windowsUnmapped();
        List<Throwable> thrown = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    await(start);
                    for (int k = 0; k < 1000; k++) {
                        w.retain();
                        w.segment().get(ValueLayout.JAVA_BYTE, 0); // mapped while held
                        w.release();
                    }
                } catch (Throwable t) {
                    thrown.add(t);
                }
            }));
        }
        w.retain(); // keep it mapped until all workers are done, whatever the close below does
        await(start);
        w.close();
        for (Thread t : workers) {
            t.join(10_000);
        }
        assertEquals(List.of(), thrown);
        assertTrue(w.isOpen(), "unmapped while a holder remained");
        assertEquals(unmappedBefore, MappingStats.snapshot().windowsUnmapped());
        assertTrue(w.release(), "the last release must unmap");
        assertEquals(unmappedBefore + 1, MappingStats.snapshot().windowsUnmapped());
    }

    @Test
    void retainAfterUnmapAndReadingAfterCloseThrowIllegalStateExceptionNotACrash() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 2L * PAGE);
        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, Windows.privateBudget())).subscribe(s);
        s.request(1);
        MappedWindow w = s.received.getFirst();
        s.cancel();
        var segment = w.segment();
        var buffer = w.asByteBuffer();
        w.close();

        assertTrue(assertThrows(IllegalStateException.class, w::retain).getMessage().contains("already unmapped"));
        assertThrows(IllegalStateException.class, w::release, "a release without a reference");
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> w.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        assertThrows(IllegalStateException.class, () -> buffer.get(0));
        assertThrows(IllegalStateException.class, () -> segment.toArray(ValueLayout.JAVA_BYTE));
        w.close(); // still idempotent after all that
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
