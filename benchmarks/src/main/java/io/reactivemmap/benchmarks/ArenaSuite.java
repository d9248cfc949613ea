package io.reactivemmap.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code arena} suite: what closing a window's arena costs, and what it costs other threads. A "closer" thread
 * streams the hot file window by window (map, touch one byte per page, close) for a fixed time, with one of four
 * arena strategies, while 0, 1 or 2 busy threads compute or read another (long-lived, pre-faulted) mapping. We
 * measure the close latency on the closer and the busy threads' throughput, relative to the same run with confined
 * arenas (whose close needs no handshake: the difference is the shared-arena handshake).
 */
final class ArenaSuite {
    private static final int MIB = DataFiles.MIB;
    private static final int PAGE = 4096;

    /** 0 = confined per window, 1 = shared per window, N > 1 = one reference-counted shared arena per N windows. */
    record Strategy(String name, int group) {
    }

    record Busy(String name, int threads, boolean reader) {
    }

    record Run(double windowsPerSecond, long[] closeNanos, int closes, double perWindowCloseNanos, double busyOpsPerSecond) {
    }

    private static final List<Strategy> STRATEGIES = List.of(new Strategy("confined arena per window", 0),
            new Strategy("shared arena per window (core)", 1), new Strategy("grouped shared arena, 4 windows", 4),
            new Strategy("grouped shared arena, 16 windows", 16));
    private static final List<Busy> BUSY = List.of(new Busy("none", 0, false), new Busy("1 computing", 1, false),
            new Busy("1 reading another mapping", 1, true), new Busy("2 reading other mappings", 2, true));

    private final Config config;

    ArenaSuite(Config config) {
        this.config = config;
    }

    /**
     * A shared arena covering several windows, closed when every window it covers has been released: the Lucene
     * approach (one handshake per group instead of per window). Windows stay mapped until the group's last release.
     */
    static final class GroupArena {
        final Arena arena = Arena.ofShared();
        private final AtomicInteger holders = new AtomicInteger(1); // the group's own reference until sealed

        MemorySegment map(FileChannel ch, long pos, long len) throws java.io.IOException {
            holders.incrementAndGet();
            return ch.map(FileChannel.MapMode.READ_ONLY, pos, len, arena);
        }

        /** @return nanoseconds spent closing, or 0 if other windows still hold the group */
        long release() {
            if (holders.decrementAndGet() == 0) {
                long t0 = System.nanoTime();
                arena.close();
                return System.nanoTime() - t0;
            }
            return 0;
        }
    }

    void run() throws Exception {
        Report report = new Report("arena", config);
        Machine.CpuSample start = Machine.CpuSample.now();
        Path file = config.readFile();
        long size = config.readFileSize();
        long[] windowSizes = {16L * MIB, MIB};
        Map<String, List<Run>> runs = new LinkedHashMap<>();
        int total = config.warmupRounds() + config.rounds() / 2 + 1; // fewer rounds: each run is long
        for (long window : windowSizes) {
            for (Busy busy : BUSY) {
                DataFiles.warm(file, size);
                for (int round = 0; round < total; round++) {
                    for (int k = 0; k < STRATEGIES.size(); k++) {
                        Strategy s = STRATEGIES.get((k + round) % STRATEGIES.size());
                        Run r = measure(file, size, window, s, busy);
                        if (round >= config.warmupRounds()) {
                            runs.computeIfAbsent(key(window, busy, s), x -> new ArrayList<>()).add(r);
                        }
                    }
                }
                System.out.printf("arena: %s windows, busy %s done (load %s)%n", MapCostSuite.label(window), busy.name(),
                        Machine.loadAverage());
            }
        }

        Table table = new Table("Closing a window's arena while other threads run (hot " + (size >> 20) + " MiB file; "
                + "median over " + (total - config.warmupRounds()) + " runs of " + config.arenaSeconds() + " s each)",
                "Window", "Busy threads", "Strategy", "close µs median", "close µs p99", "median ÷ windows per close",
                "mean close µs per window",
                "closer windows/s", "busy work per CPU-s vs confined");
        List<Svg.Bar> bars = new ArrayList<>();
        for (long window : windowSizes) {
            for (Busy busy : BUSY) {
                double confinedBusy = Stats.median(runs.get(key(window, busy, STRATEGIES.get(0))).stream()
                        .map(Run::busyOpsPerSecond).toList());
                for (Strategy s : STRATEGIES) {
                    List<Run> rs = runs.get(key(window, busy, s));
                    long[] all = rs.stream().flatMapToLong(r -> Arrays.stream(r.closeNanos(), 0, r.closes())).sorted().toArray();
                    double median = Stats.percentile(all, all.length, 50) / 1e3;
                    double p99 = Stats.percentile(all, all.length, 99) / 1e3;
                    double perWindow = Stats.median(rs.stream().map(Run::perWindowCloseNanos).toList()) / 1e3;
                    double wps = Stats.median(rs.stream().map(Run::windowsPerSecond).toList());
                    double busyOps = Stats.median(rs.stream().map(Run::busyOpsPerSecond).toList());
                    table.row(MapCostSuite.label(window), busy.name(), s.name(), Table.f(median, 1), Table.f(p99, 1),
                            Table.f(median / Math.max(1, s.group()), 1), Table.f(perWindow, 1), Table.f(wps, 0),
                            busy.threads() == 0 ? "–" : Table.f(100 * busyOps / confinedBusy, 1) + " %");
                    if (window == 16L * MIB && busy.threads() == 1 && busy.reader()) {
                        bars.add(new Svg.Bar(s.name(), median / Math.max(1, s.group()), s.group() == 1));
                    }
                }
            }
        }
        table.note("close µs: latency of one arena.close() (for a group: the close that unmaps all its windows); "
                + "median ÷ windows per close: that median amortised over the windows one close unmaps; mean close µs "
                + "per window: all close time ÷ windows (includes the tail: preemption on a loaded machine). Each window is mapped, touched (1 byte per page) "
                + "and closed; the close includes munmap, which every strategy pays per page.");
        table.note("busy throughput vs confined: the busy threads' work per second of their own CPU time during this "
                + "run ÷ the same in the confined-arena run of the same shape (100 % = closing costs them nothing; "
                + "CPU time, not wall time, so the OS sharing 2 cores among more threads does not count).");
        table.note(Machine.noise(start));
        report.table(table);
        report.chart("close-us", Svg.bars("Median close cost per 16 MiB window (amortised), 1 busy reader thread", "µs", bars));
        report.write(Bench.header("arena", config));
    }

    private static String key(long window, Busy busy, Strategy s) {
        return window + "/" + busy.name() + "/" + s.name();
    }

    static volatile long sink;

    private Run measure(Path file, long size, long window, Strategy strategy, Busy busy) throws Exception {
        long durationNanos = (long) (config.arenaSeconds() * 1e9);
        BusyThreads threads = new BusyThreads(file, busy);
        threads.start();
        long[] closeNanos = new long[1 << 20];
        int closes = 0;
        long windows = 0;
        long closeTotal = 0;
        long touched = 0;
        long t0 = System.nanoTime();
        long deadline = t0 + durationNanos;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            GroupArena group = null;
            List<MemorySegment> held = new ArrayList<>();
            while (System.nanoTime() < deadline || group != null) {
                if (pos + window > size) {
                    pos = 0;
                }
                long c;
                if (strategy.group() == 0 || strategy.group() == 1) {
                    Arena arena = strategy.group() == 0 ? Arena.ofConfined() : Arena.ofShared();
                    MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, pos, window, arena);
                    touched += DataFiles.touch(m, PAGE);
                    long a = System.nanoTime();
                    arena.close();
                    c = System.nanoTime() - a;
                } else {
                    if (group == null) {
                        group = new GroupArena();
                    }
                    MemorySegment m = group.map(ch, pos, window);
                    touched += DataFiles.touch(m, PAGE);
                    held.add(m);
                    c = 0;
                    if (held.size() == strategy.group()) {
                        // The consumer has finished with every window of the group: release them in order.
                        for (int i = 0; i < held.size(); i++) {
                            c += group.release();
                        }
                        c += group.release(); // the group's own reference: sealed, nothing more will be mapped in it
                        held.clear();
                        group = null;
                    }
                }
                if (c > 0 && closes < closeNanos.length) {
                    closeNanos[closes++] = c;
                }
                closeTotal += c;
                windows++;
                pos += window;
            }
        } finally {
            long elapsed = System.nanoTime() - t0;
            threads.stop();
            double busyRate = threads.opsPerCpuSecond();
            sink += touched;
            Arrays.sort(closeNanos, 0, closes);
            return new Run(windows / (elapsed / 1e9), closeNanos, closes, closeTotal / (double) Math.max(1, windows),
                    busyRate);
        }
    }

    /** Threads doing fixed-size units of work and counting them. */
    static final class BusyThreads {
        private final Path file;
        private final Busy busy;
        private final List<Thread> threads = new ArrayList<>();
        private final long[][] counters;
        private final long[] cpuNanos;
        private volatile boolean running = true;

        BusyThreads(Path file, Busy busy) {
            this.file = file;
            this.busy = busy;
            this.counters = new long[busy.threads()][16]; // padded: one cache line per counter
            this.cpuNanos = new long[busy.threads()];
        }

        void start() throws InterruptedException {
            java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(busy.threads());
            for (int t = 0; t < busy.threads(); t++) {
                int id = t;
                Thread th = new Thread(() -> work(id, ready), "busy-" + t);
                th.setDaemon(true);
                threads.add(th);
                th.start();
            }
            ready.await();
        }

        private void work(int id, java.util.concurrent.CountDownLatch ready) {
            long[] counter = counters[id];
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long cpu0 = mx.getCurrentThreadCpuTime();
            try {
                work(id, ready, counter);
            } finally {
                cpuNanos[id] = mx.getCurrentThreadCpuTime() - cpu0;
            }
        }

        private void work(int id, java.util.concurrent.CountDownLatch ready, long[] counter) {
            if (busy.reader()) {
                // Reads its own long-lived mapping (a different shared arena) in 1 MiB units.
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofShared()) {
                    long len = Math.min(64L * MIB, ch.size());
                    MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, len, arena);
                    DataFiles.touch(m, PAGE);
                    ready.countDown();
                    long pos = 0;
                    long s = 0;
                    while (running) {
                        if (pos + MIB > len) {
                            pos = 0;
                        }
                        s += LongSum.sumLongs(m, pos, pos + MIB);
                        pos += MIB;
                        counter[0]++;
                    }
                    sink += s;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            } else {
                ready.countDown();
                long x = 0x9E3779B97F4A7C15L + id;
                while (running) {
                    for (int i = 0; i < 100_000; i++) {
                        x ^= x << 13;
                        x ^= x >>> 7;
                        x ^= x << 17;
                    }
                    counter[0]++;
                }
                sink += x;
            }
        }

        /** Work units per second of the busy threads' own CPU time: immune to how the OS shares the cores. */
        double opsPerCpuSecond() {
            long cpu = 0;
            for (long c : cpuNanos) {
                cpu += c;
            }
            return cpu == 0 ? Double.NaN : ops() / (cpu / 1e9);
        }

        long ops() {
            long s = 0;
            for (long[] c : counters) {
                s += c[0];
            }
            return s;
        }

        void stop() throws InterruptedException {
            running = false;
            for (Thread t : threads) {
                t.join();
            }
        }
    }
}
