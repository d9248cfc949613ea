package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The races of issue 14, each as a directed test: cancel from another thread against emission, cancellation by
 * {@code takeUntilOther}, disposal of a {@code subscribeOn} (whose worker Reactor interrupts), interrupted mapping
 * threads, lost budget wake-ups, and recursion when one close wakes thousands of waiters. Each leaves nothing mapped:
 * {@link NoLeakedWindows} checks the statistics and /proc/self/maps after every test, with no discard hook anywhere.
 */
@ExtendWith(NoLeakedWindows.class)
class OwnershipUnderConcurrencyTest {
    private static final int RUNS = 300;

    @TempDir
    Path dir;

    /** A subscriber that closes what it gets and records an onNext that starts after its cancel() returned. */
    private static final class LateArrivalRecorder implements CoreSubscriber<MappedWindow> {
        final AtomicReference<Subscription> subscription = new AtomicReference<>();
        final AtomicBoolean cancelReturned = new AtomicBoolean();
        final AtomicInteger late = new AtomicInteger();
        final CountDownLatch subscribed = new CountDownLatch(1);

        @Override
        public void onSubscribe(Subscription s) {
            subscription.set(s);
            subscribed.countDown();
        }

        @Override
        public void onNext(MappedWindow w) {
            if (cancelReturned.get()) {
                late.incrementAndGet();
            }
            long sum = 0;
            for (long i = 0; i < w.length(); i += 512) {
                sum += w.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
            }
            if (sum == Long.MIN_VALUE) {
                throw new AssertionError();
            }
            w.close();
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }

        void cancel() {
            subscription.get().cancel();
            cancelReturned.set(true);
        }
    }

    @Test
    void noOnNextStartsAfterCancelHasReturnedOnAnotherThread() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 256L * PAGE);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Random random = new Random(14);
        int lateTotal = 0;
        try {
            for (int run = 0; run < RUNS; run++) {
                LateArrivalRecorder s = new LateArrivalRecorder();
                MappedFile.windows(file, options).subscribe(s);
                long delay = random.nextInt(200_000);
                var drainer = pool.submit(() -> s.subscription.get().request(Long.MAX_VALUE));
                var canceller = pool.submit(() -> {
                    LockSupport.parkNanos(delay);
                    s.cancel();
                });
                drainer.get(10, TimeUnit.SECONDS);
                canceller.get(10, TimeUnit.SECONDS);
                lateTotal += s.late.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, lateTotal, "onNext calls that started after cancel() had returned, over " + RUNS + " runs");
    }

    /**
     * A records subscriber standing for an operator that has cancelled: it closes what it gets until its cancel()
     * has returned, and drops (counts, does not close) any record that arrives after, as such an operator would.
     */
    private static final class LateRecordRecorder implements CoreSubscriber<MappedRecord> {
        final AtomicReference<Subscription> subscription = new AtomicReference<>();
        final AtomicBoolean cancelReturned = new AtomicBoolean();
        final AtomicInteger late = new AtomicInteger();

        @Override
        public void onSubscribe(Subscription s) {
            subscription.set(s);
        }

        @Override
        public void onNext(MappedRecord r) {
            if (cancelReturned.get()) {
                late.incrementAndGet();
                return;
            }
            r.close();
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }

        void cancel() {
            subscription.get().cancel();
            cancelReturned.set(true);
        }
    }

    @Test
    void noRecordFollowsCancelReturnedOnAnotherThreadAndNoneKeepsAWindowMapped() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 256 * PAGE; i++) {
            text.append("record ").append(i).append(' ').append("x".repeat(i % 23)).append('\n');
        }
        Path file = java.nio.file.Files.writeString(dir.resolve("lines.txt"), text);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Random random = new Random(1415);
        int lateTotal = 0;
        try {
            for (int run = 0; run < RUNS; run++) {
                LateRecordRecorder s = new LateRecordRecorder();
                MappedRecords.lines(file, options).subscribe(s);
                long delay = random.nextInt(200_000);
                var drainer = pool.submit(() -> s.subscription.get().request(Long.MAX_VALUE));
                var canceller = pool.submit(() -> {
                    LockSupport.parkNanos(delay);
                    s.cancel();
                });
                drainer.get(10, TimeUnit.SECONDS);
                canceller.get(10, TimeUnit.SECONDS);
                lateTotal += s.late.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, lateTotal, "records delivered after cancel() had returned, over " + RUNS + " runs");
        NoLeakedWindows.assertNothingMapped();
    }

    @Test
    void takeUntilOtherCancellingFromATimerThreadLeavesNoWindowMapped() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 256L * PAGE);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1);
        Random random = new Random(1414);
        for (int run = 0; run < RUNS; run++) {
            CountDownLatch done = new CountDownLatch(1);
            MappedFile.windows(file, options)
                    .takeUntilOther(Mono.delay(Duration.ofNanos(random.nextInt(300_000))))
                    .doFinally(signal -> done.countDown())
                    .subscribe(MappedWindow::close);
            assertTrue(done.await(10, TimeUnit.SECONDS), "run " + run + " never terminated");
        }
        NoLeakedWindows.assertNothingMapped();
    }

    @Test
    void disposingASubscribeOnAtOnceLeavesNoMappingTheStatisticsDoNotSee() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 64L * PAGE);
        MapOptions options = MapOptions.defaults().withWindowSize(4 * PAGE);
        for (int run = 0; run < RUNS; run++) {
            Disposable d = MappedFile.windows(file, options).subscribeOn(Schedulers.parallel()).subscribe(MappedWindow::close);
            d.dispose();
        }
        NoLeakedWindows.assertNothingMapped();
    }

    @Test
    void anInterruptedThreadMapsAFileTheLibraryOpenedAndKeepsItsInterruptStatus() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE + 5);
        AtomicInteger windows = new AtomicInteger();
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicBoolean completed = new AtomicBoolean();
        Thread.currentThread().interrupt();
        try {
            MappedFile.windows(file, MapOptions.defaults().withWindowSize(PAGE)).subscribe(
                    w -> {
                        windows.incrementAndGet();
                        w.close();
                    }, error::set, () -> completed.set(true));
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt status must be left as it was found");
        }
        if (io.reactivemmap.internal.NativeAccess.mappingAvailable()) {
            assertNull(error.get(), () -> "mapping on an interrupted thread failed: " + error.get());
            assertTrue(completed.get());
            assertEquals(17, windows.get());
        }
    }

    @Test
    void aPendingInterruptDoesNotCloseABorrowedChannelAndIsRestored() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            AtomicReference<Throwable> error = new AtomicReference<>();
            AtomicInteger windows = new AtomicInteger();
            Thread.currentThread().interrupt();
            try {
                MappedFile.windows(channel, file, 0, 8L * PAGE, MapOptions.defaults().withWindowSize(PAGE))
                        .subscribe(w -> {
                            windows.incrementAndGet();
                            w.close();
                        }, error::set);
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt status must be left as it was found");
            }
            assertNull(error.get());
            assertEquals(8, windows.get());
            assertTrue(channel.isOpen(), "the caller's channel must stay open");
        }
    }

    @Test
    void aBorrowedChannelClosedByAnInterruptIsReportedAsSuchNotAsMapCountExhaustion() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        // The JDK closes a channel when a thread blocked in it is interrupted: the same state as after such an interrupt.
        Thread t = new Thread(() -> {
            Thread.currentThread().interrupt();
            try {
                channel.size();
            } catch (java.io.IOException expected) {
                // ClosedByInterruptException
            }
        });
        t.start();
        t.join();
        AtomicReference<Throwable> error = new AtomicReference<>();
        MappedFile.windows(channel, file, 0, 8L * PAGE, MapOptions.defaults()).subscribe(MappedWindow::close, error::set);
        Throwable e = error.get();
        assertTrue(e != null && e.getMessage().contains("closed") && !e.getMessage().contains("max_map_count"),
                () -> "expected an error saying the channel is closed, got " + e);
    }

    @Test
    void threeThousandSubscriptionsSharingAThousandWindowBudgetAllFinish() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = MappingBudget.of(1000, Long.MAX_VALUE);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1).withBudget(budget);
        int subscriptions = 3000;
        CountDownLatch done = new CountDownLatch(subscriptions);
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger windows = new AtomicInteger();
        for (int i = 0; i < subscriptions; i++) {
            MappedFile.windows(file, options)
                    .publishOn(Schedulers.parallel(), 4)
                    .doFinally(signal -> done.countDown())
                    .subscribe(w -> {
                        windows.incrementAndGet();
                        w.close();
                    }, e -> errors.incrementAndGet());
        }
        assertTrue(done.await(60, TimeUnit.SECONDS), () -> done.getCount() + " of " + subscriptions
                + " subscriptions never finished; budget " + budget + ", waiting " + budget.waiting());
        assertEquals(0, errors.get());
        assertEquals(subscriptions * 16, windows.get());
        assertEquals(0, budget.liveWindows());
        assertEquals(0, budget.waiting());
    }

    @Test
    void closingOneWindowThatWakesFiveThousandWaitersNeverThrowsOrRecursesAndServesThemInArrivalOrder() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", PAGE);
        MappingBudget budget = MappingBudget.of(1, Long.MAX_VALUE);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(0).withBudget(budget);
        AtomicReference<MappedWindow> held = new AtomicReference<>();
        MappedFile.windows(file, options).subscribe(held::set);
        assertTrue(held.get() != null && budget.liveWindows() == 1);

        int waiters = 5000;
        List<Integer> served = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger completed = new AtomicInteger();
        int[] maxDepth = {0};
        for (int i = 0; i < waiters; i++) {
            int id = i;
            MappedFile.windows(file, options).subscribe(w -> {
                served.add(id);
                maxDepth[0] = Math.max(maxDepth[0], Thread.currentThread().getStackTrace().length);
                w.close(); // frees the budget for the next waiter, from inside this one's onNext
            }, e -> served.add(-1 - id), completed::incrementAndGet);
        }
        assertEquals(waiters, budget.waiting());
        int depthBefore = Thread.currentThread().getStackTrace().length;
        held.get().close(); // must not throw (it did: StackOverflowError from nested wake-ups)
        assertEquals(waiters, completed.get());
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            expected.add(i);
        }
        assertEquals(expected, served, "waiters must be served in arrival order");
        assertTrue(maxDepth[0] - depthBefore < 200, "wake-ups nested " + (maxDepth[0] - depthBefore) + " frames deep");
        assertEquals(0, budget.liveWindows());
    }
}
