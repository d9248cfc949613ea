package io.reactivemmap.benchmarks;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import io.reactivemmap.MappingStats;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code bound} suite: how many bytes stay mapped while a slow subscriber streams a large sparse file, against
 * the bound the options promise. Two consumers: one that requests one window at a time and closes it after a small
 * delay (peak must equal {@code (1 + readAhead) × windowSize}), and one that requests {@code Long.MAX_VALUE} through
 * a queueing {@code publishOn} (peak must stay within {@code maxLiveBytes}).
 */
final class BoundSuite {
    private static final int MIB = DataFiles.MIB;
    private static final long DELAY_MICROS = 200;

    private final Config config;

    BoundSuite(Config config) {
        this.config = config;
    }

    record Scenario(String name, MapOptions options, boolean queueing, int prefetch) {
        long bound() {
            long window = options.windowSize();
            if (queueing) {
                return Math.max(window, options.maxLiveBytes());
            }
            return Math.max(window, Math.min((1L + options.readAhead()) * window, options.maxLiveBytes()));
        }
    }

    void run() throws Exception {
        Report report = new Report("bound", config);
        Machine.CpuSample start = Machine.CpuSample.now();
        long size = config.sparseFileSize();
        Path file = DataFiles.sparse(config.dataDir(), "sparse-" + (size >> 30) + "GiB.bin", size);
        // dropBehind: with sequential advice, read-ahead windows get MADV_WILLNEED, and on a sparse file the kernel then
        // fills the page cache with zero pages for the holes (16 GiB of them, at about 0.5 GB/s on this machine),
        // pushing the hot file of the other suites out of memory. Dropping each window's pages after unmap avoids
        // that; it changes nothing about what is mapped when, which is what this suite measures.
        MapOptions d = MapOptions.defaults().withDropBehind(true);
        List<Scenario> scenarios = new ArrayList<>();
        scenarios.add(new Scenario("request(1) per window, defaults", d, false, 0));
        scenarios.add(new Scenario("request(1) per window, defaults without populate-ahead", d.withPopulateAhead(false), false, 0));
        scenarios.add(new Scenario("request(1) per window, readAhead 2", d.withReadAhead(2), false, 0));
        scenarios.add(new Scenario("request(1) per window, readAhead 0", d.withReadAhead(0), false, 0));
        scenarios.add(new Scenario("request(1) per window, 4 MiB windows", d.withWindowSize(4 * MIB), false, 0));
        scenarios.add(new Scenario("request(Long.MAX_VALUE) + publishOn (unbounded queue), defaults", d, true,
                Integer.MAX_VALUE));
        scenarios.add(new Scenario("request(Long.MAX_VALUE) + publishOn (prefetch 256), defaults", d, true, 256));
        scenarios.add(new Scenario("request(Long.MAX_VALUE) + publishOn (unbounded), 4 MiB windows, maxLiveBytes 16 MiB",
                d.withWindowSize(4 * MIB).withMaxLiveBytes(16 * MIB), true, Integer.MAX_VALUE));

        Table table = new Table("Peak live mapped bytes over a " + (size >> 30) + " GiB sparse file, consumer closes "
                + "each window " + DELAY_MICROS + " µs after receiving it",
                "Consumer and options", "Windows", "Bound (MiB)", "Peak (MiB)", "Peak = bound", "Live after", "Time (s)");
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bound-consumer");
            t.setDaemon(true);
            return t;
        });
        Scheduler queueThread = Schedulers.newSingle("bound-publishOn", true);
        try {
            for (Scenario s : scenarios) {
                MappingStats before = MappingStats.snapshot();
                MappingStats.resetPeak();
                long t0 = System.nanoTime();
                long windows = s.queueing() ? queueing(file, s, queueThread) : oneAtATime(file, s.options(), timer);
                double seconds = (System.nanoTime() - t0) / 1e9;
                MappingStats after = MappingStats.snapshot();
                long peak = after.peakMappedBytes() - before.mappedBytes();
                long bound = s.bound();
                String verdict = peak == bound ? "yes" : peak < bound ? "below (≤ bound)" : "**EXCEEDED**";
                table.row(s.name(), windows, Table.f(bound / (double) MIB, 1), Table.f(peak / (double) MIB, 1), verdict,
                        after.liveWindows() + " windows", Table.f(seconds, 2));
                System.out.printf("bound: %-90s peak %d MiB, bound %d MiB%n", s.name(), peak / MIB, bound / MIB);
            }
        } finally {
            timer.shutdownNow();
            queueThread.dispose();
        }
        table.note("Bound for request(1): min((1 + readAhead) × windowSize, maxLiveBytes); for the queueing consumer: "
                + "maxLiveBytes (64 MiB by default). One window is always allowed. Peak from MappingStats.peakMappedBytes "
                + "(page-aligned mapping sizes), reset before each scenario.");
        table.note("All scenarios run with dropBehind on (see the code: keeps the sparse file's zero pages out of the page "
                + "cache); it does not change what is mapped when. Time depends on that and on the 200 µs delay only.");
        table.note(Machine.noise(start));
        report.table(table);
        report.write(Bench.header("bound", config));
    }

    /** Requests one window, closes it {@link #DELAY_MICROS} later, then requests the next. */
    private static long oneAtATime(Path file, MapOptions options, ScheduledExecutorService timer) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> error = new AtomicReference<>();
        long[] count = {0};
        java.util.concurrent.atomic.AtomicLong closed = new java.util.concurrent.atomic.AtomicLong();
        MappedFile.windows(file, options).subscribe(new BaseSubscriber<MappedWindow>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(MappedWindow window) {
                count[0]++;
                window.segment().get(ValueLayout.JAVA_BYTE, 0); // the consumer reads something
                timer.schedule(() -> {
                    window.close();
                    closed.incrementAndGet();
                    request(1);
                }, DELAY_MICROS, TimeUnit.MICROSECONDS);
            }

            @Override
            protected void hookOnError(Throwable throwable) {
                error.set(throwable);
            }

            @Override
            protected void hookFinally(reactor.core.publisher.SignalType type) {
                done.countDown();
            }
        });
        done.await();
        // The source completes right after emitting the last window; wait for the consumer to close it.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (closed.get() < count[0] && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000);
        }
        if (error.get() != null) {
            throw new IllegalStateException("bound scenario failed", error.get());
        }
        return count[0];
    }

    /** Requests everything through a queueing publishOn; its thread closes each window after a small delay. */
    private static long queueing(Path file, Scenario s, Scheduler thread) {
        Long n = MappedFile.windows(file, s.options())
                .publishOn(thread, s.prefetch())
                .doOnNext(window -> {
                    window.segment().get(ValueLayout.JAVA_BYTE, 0);
                    LockSupport.parkNanos(DELAY_MICROS * 1000);
                    window.close();
                })
                .count()
                .block();
        return n == null ? 0 : n;
    }
}
