package io.reactivemmap.benchmarks;

import io.reactivemmap.internal.NativeAccess;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code mapcost} suite: what mapping costs per GiB streamed, by window size, over the hot file. Each window is
 * mapped, faulted in (one byte touched per page) and unmapped (its arena closed); the three phases are timed apart.
 * With a shared arena per window (what the core does) and with a confined one (the cheapest close).
 */
final class MapCostSuite {
    private static final int MIB = DataFiles.MIB;
    private static final int PAGE = 4096;

    private final Config config;

    MapCostSuite(Config config) {
        this.config = config;
    }

    /** Nanoseconds spent in each phase over one pass of the file. */
    record Pass(long map, long fault, long touch, long unmap, long bytes) {
        double perGiB(long nanos) {
            return nanos / 1e6 / (bytes / (double) DataFiles.GIB);
        }
    }

    void run() throws Exception {
        Report report = new Report("mapcost", config);
        Machine.CpuSample start = Machine.CpuSample.now();
        Path file = config.readFile();
        long size = config.readFileSize();
        List<Long> sizes = new ArrayList<>();
        for (long w : new long[]{MIB, 4L * MIB, 16L * MIB, 64L * MIB, 256L * MIB, 1024L * MIB}) {
            if (w <= size) {
                sizes.add(w);
            }
        }
        Map<String, List<Pass>> passes = new LinkedHashMap<>();
        int total = config.warmupRounds() + config.rounds();
        for (int round = 0; round < total; round++) {
            System.out.printf("mapcost: round %d/%d (load %s)%n", round + 1, total, Machine.loadAverage());
            for (int k = 0; k < sizes.size() * 2; k++) {
                int i = (k + round) % (sizes.size() * 2); // rotate the order each round
                long w = sizes.get(i / 2);
                boolean shared = i % 2 == 0;
                DataFiles.warm(file, size);
                Pass p = pass(file, size, w, shared);
                if (round >= config.warmupRounds()) {
                    passes.computeIfAbsent(key(w, shared), x -> new ArrayList<>()).add(p);
                }
            }
        }

        Table table = new Table("Map + fault + unmap per GiB of a hot " + (size >> 20) + " MiB file (median of "
                + config.rounds() + " rounds, ms per GiB)", "Window", "Windows per GiB", "map",
                "fault in (MADV_POPULATE_READ)", "touch 1 byte/page", "unmap (shared arena close)",
                "map+fault+unmap, shared arena", "same, confined arena");
        List<Svg.Bar> bars = new ArrayList<>();
        for (long w : sizes) {
            List<Pass> s = passes.get(key(w, true));
            List<Pass> c = passes.get(key(w, false));
            double map = Stats.median(s.stream().map(p -> p.perGiB(p.map())).toList());
            double fault = Stats.median(s.stream().map(p -> p.perGiB(p.fault())).toList());
            double touch = Stats.median(s.stream().map(p -> p.perGiB(p.touch())).toList());
            double unmap = Stats.median(s.stream().map(p -> p.perGiB(p.unmap())).toList());
            double totalShared = Stats.median(s.stream().map(p -> p.perGiB(p.map() + p.fault() + p.unmap())).toList());
            double totalConfined = Stats.median(c.stream().map(p -> p.perGiB(p.map() + p.fault() + p.unmap())).toList());
            table.row(label(w), DataFiles.GIB / w, Table.f(map, 1), Table.f(fault, 1), Table.f(touch, 1), Table.f(unmap, 1),
                    Table.f(totalShared, 1), Table.f(totalConfined, 1));
            bars.add(new Svg.Bar(label(w) + " windows", totalShared, w == 16L * MIB));
        }
        table.note("Each phase summed over all windows of one pass, divided by the GiB streamed. Fault-in populates the "
                + "page tables from the hot page cache without the CPU reading the data (MADV_POPULATE_READ); the touch "
                + "column is the reader's first access per page afterwards (cache and TLB misses, no faults), shown apart "
                + "because any reader pays it, mapped or not. The totals leave it out.");
        table.note(Machine.noise(start));
        report.table(table);
        report.chart("ms-per-gib", Svg.bars("Map + fault + unmap, ms per GiB (shared arena per window)", "ms", bars));
        report.write(Bench.header("mapcost", config));
    }

    private static String key(long w, boolean shared) {
        return w + (shared ? "s" : "c");
    }

    static String label(long bytes) {
        return bytes >= DataFiles.GIB ? (bytes >> 30) + " GiB" : (bytes >> 20) + " MiB";
    }

    static long sink;

    private static Pass pass(Path file, long size, long window, boolean shared) throws Exception {
        long map = 0, fault = 0, touch = 0, unmap = 0, touched = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long pos = 0; pos + window <= size; pos += window) {
                long t0 = System.nanoTime();
                Arena arena = shared ? Arena.ofShared() : Arena.ofConfined();
                MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, pos, window, arena);
                long t1 = System.nanoTime();
                // Page-table work only (no data read by the CPU): MADV_POPULATE_READ, what populateAhead does.
                NativeAccess.populate(m.address(), m.byteSize());
                long t2 = System.nanoTime();
                // Then the reader's first touch of each page: no fault any more, but a cache and TLB miss per page.
                touched += DataFiles.touch(m, PAGE);
                long t3 = System.nanoTime();
                arena.close();
                long t4 = System.nanoTime();
                map += t1 - t0;
                fault += t2 - t1;
                touch += t3 - t2;
                unmap += t4 - t3;
            }
        }
        sink += touched;
        return new Pass(map, fault, touch, unmap, size - size % window);
    }
}
