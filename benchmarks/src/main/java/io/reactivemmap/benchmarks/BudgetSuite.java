package io.reactivemmap.benchmarks;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import io.reactivemmap.MappingBudget;
import io.reactivemmap.MappingStats;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.SignalType;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@code budget} suite: what a budget-bound workload gets. Many subscriptions at once (20,000 in a full run) each
 * stream a small file in 64 KiB windows, holding every window for a short time before closing it and asking for the
 * next, under budgets of different sizes. The same workload without a limit is the reference each row is compared
 * with; the ceiling a budget allows is {@code maxWindows / hold time} windows per second.
 */
final class BudgetSuite {
    private static final int KIB = 1024;
    private static final int WINDOW = 64 * KIB;
    private static final long FILE_SIZE = 16L * WINDOW;
    private static final long HOLD_MICROS = 1000;
    private static final long TIME_LIMIT_SECONDS = 120;

    private final Config config;

    BudgetSuite(Config config) {
        this.config = config;
    }

    record Scenario(String name, MappingBudget budget) {
    }

    record Outcome(long windows, long finished, double seconds, long peakWindows, long liveAfter, long errors,
                   long budgetWaits) {
        double windowsPerSecond() {
            return windows / seconds;
        }
    }

    void run() throws Exception {
        Report report = new Report("budget", config);
        Machine.CpuSample start = Machine.CpuSample.now();
        int subscriptions = config.quick() ? 2_000 : 20_000;
        Path file = DataFiles.random(config.dataDir(), "budget-" + (FILE_SIZE >> 10) + "KiB.bin", FILE_SIZE);
        DataFiles.warm(file, FILE_SIZE);
        List<Scenario> scenarios = new ArrayList<>();
        scenarios.add(new Scenario("no limit (reference)", MappingBudget.of(Long.MAX_VALUE, Long.MAX_VALUE)));
        scenarios.add(new Scenario("global budget (" + MappingBudget.global().maxWindows() + " windows)",
                MappingBudget.global()));
        scenarios.add(new Scenario("MappingBudget.of(1000 windows)", MappingBudget.of(1000, Long.MAX_VALUE)));
        scenarios.add(new Scenario("MappingBudget.of(100 windows)", MappingBudget.of(100, Long.MAX_VALUE)));

        Table table = new Table(subscriptions + " concurrent subscriptions, " + (FILE_SIZE >> 10) + " KiB file each, "
                + (WINDOW / KIB) + " KiB windows, each window held " + HOLD_MICROS + " µs then closed",
                "Budget", "Finished", "Windows", "Time (s)", "Windows/s", "vs no limit", "Ceiling (windows/s)",
                "Peak live windows", "Budget waits", "Live after");
        ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "budget-hold");
            t.setDaemon(true);
            return t;
        });
        try {
            // One untimed pass to warm the JIT.
            run(file, scenarios.getFirst().budget(), Math.min(subscriptions, 2_000), timers);
            double reference = 0;
            for (Scenario s : scenarios) {
                Outcome o = run(file, s.budget(), subscriptions, timers);
                if (reference == 0) {
                    reference = o.windowsPerSecond();
                }
                long maxWindows = s.budget().maxWindows();
                String ceiling = maxWindows >= subscriptions * 2L ? "—"
                        : Table.f(maxWindows * 1e6 / HOLD_MICROS, 0);
                table.row(s.name(), o.finished() + " / " + subscriptions + (o.errors() > 0 ? " (" + o.errors()
                                + " errors)" : ""), o.windows(), Table.f(o.seconds(), 2), Table.f(o.windowsPerSecond(), 0),
                        Table.f(o.windowsPerSecond() / reference, 2) + "x", ceiling, o.peakWindows(), o.budgetWaits(),
                        o.liveAfter() + " windows");
                System.out.printf("budget: %-40s %d/%d finished in %.2f s, %.0f windows/s%n", s.name(), o.finished(),
                        subscriptions, o.seconds(), o.windowsPerSecond());
            }
        } finally {
            timers.shutdownNow();
        }
        table.note("All subscriptions map one shared FileChannel (MappedFile.windows(channel, ...)). Each subscriber requests one window, reads a byte of it, closes it " + HOLD_MICROS + " µs later on a "
                + "timer thread and requests the next; default options otherwise (read-ahead 1, populate-ahead on). All "
                + "subscriptions start at once. Ceiling: maxWindows / hold time, what the budget allows if mapping cost "
                + "nothing. \"vs no limit\": windows/s against the first row, in the same run.");
        table.note("Peak live windows: MappingStats.peakMappedBytes (reset before each row) over the window size; budget waits: the MappingStats counter over the row. A row that does not finish "
                + "within " + TIME_LIMIT_SECONDS + " s is cut there and says so in Finished.");
        table.note(Machine.noise(start));
        report.table(table);
        report.write(Bench.header("budget", config));
    }

    private static Outcome run(Path file, MappingBudget budget, int subscriptions, ScheduledExecutorService timers)
            throws IOException, InterruptedException {
        // One channel for all: 20,000 subscriptions that each open the file would need 20,000 descriptors.
        try (FileChannel channel = FileChannel.open(file)) {
            return run(channel, file, budget, subscriptions, timers);
        }
    }

    private static Outcome run(FileChannel channel, Path file, MappingBudget budget, int subscriptions,
                               ScheduledExecutorService timers) throws IOException, InterruptedException {
        MapOptions options = MapOptions.defaults().withWindowSize(WINDOW).withBudget(budget);
        CountDownLatch done = new CountDownLatch(subscriptions);
        AtomicLong windows = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        MappingStats.resetPeak();
        long waitsBefore = MappingStats.snapshot().budgetWaits();
        long t0 = System.nanoTime();
        for (int i = 0; i < subscriptions; i++) {
            MappedFile.windows(channel, file, 0, FILE_SIZE, options).subscribe(new BaseSubscriber<MappedWindow>() {
                @Override
                protected void hookOnSubscribe(Subscription subscription) {
                    request(1);
                }

                @Override
                protected void hookOnNext(MappedWindow window) {
                    windows.incrementAndGet();
                    window.segment().get(ValueLayout.JAVA_BYTE, 0);
                    timers.schedule(() -> {
                        window.close();
                        request(1);
                    }, HOLD_MICROS, TimeUnit.MICROSECONDS);
                }

                @Override
                protected void hookOnError(Throwable t) {
                    errors.incrementAndGet();
                    firstError.compareAndSet(null, t);
                }

                @Override
                protected void hookFinally(SignalType type) {
                    done.countDown();
                }
            });
        }
        boolean all = done.await(TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long finished = subscriptions - done.getCount();
        // The last windows are closed by the timers after their streams completed.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (budget.liveWindows() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        MappingStats after = MappingStats.snapshot();
        if (!all) {
            System.out.println("budget: cut at " + TIME_LIMIT_SECONDS + " s with " + (subscriptions - finished)
                    + " subscriptions unfinished; " + budget);
        }
        if (firstError.get() != null) {
            System.out.println("budget: first error: " + firstError.get());
        }
        // 64 KiB windows at 64 KiB offsets map exactly 64 KiB each: the peak in bytes is the peak in windows.
        return new Outcome(windows.get(), finished, seconds, after.peakMappedBytes() / WINDOW, budget.liveWindows(),
                errors.get(), after.budgetWaits() - waitsBefore);
    }
}
