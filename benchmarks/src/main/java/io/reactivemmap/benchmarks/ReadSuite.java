package io.reactivemmap.benchmarks;

import io.netty.buffer.ByteBuf;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.netty.ByteBufFlux;

import java.io.FileInputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code read} suite: every path sums the same hot file with the same {@link LongSum} kernel, side by side in
 * one JVM, in interleaved rounds (each round in a rotated order), with the file re-read into the page cache right
 * before each measured run. Reports medians, GB/s (10^9 bytes per second), and ratios to the hand-written loop.
 */
final class ReadSuite {
    private static final int MIB = DataFiles.MIB;

    /** Reads the file (or its first {@code sum}-limit bytes) into {@code sum}; returns the nanoseconds measured. */
    @FunctionalInterface
    interface Reader {
        long read(Path file, LongSum sum) throws Exception;
    }

    record Peer(String key, String name, boolean ours, boolean slow, Reader reader) {
    }

    private final Config config;

    ReadSuite(Config config) {
        this.config = config;
    }

    static List<Peer> peers() {
        List<Peer> p = new ArrayList<>();
        MapOptions d = MapOptions.defaults();
        p.add(new Peer("ours", "reactive-mmap MappedFile.read, defaults (" + describe(d) + ")", true, false,
                timed((f, s) -> ours(f, s, d))));
        p.add(new Peer("ours-plain", "reactive-mmap, no populate-ahead, sequential advice (16 MiB)", true, false,
                timed((f, s) -> ours(f, s, d.withPopulateAhead(false).withSequential(true)))));
        p.add(new Peer("ours-4m", "reactive-mmap, 4 MiB windows", true, false, timed((f, s) -> ours(f, s, windows(d, 4)))));
        p.add(new Peer("ours-64m", "reactive-mmap, 64 MiB windows", true, false, timed((f, s) -> ours(f, s, windows(d, 64)))));
        p.add(new Peer("ours-noadvice", "reactive-mmap, no populate-ahead, no sequential advice (16 MiB)", true, false,
                timed((f, s) -> ours(f, s, d.withPopulateAhead(false).withSequential(false)))));
        MapOptions pop = d.withPopulateAhead(true).withSequential(true);
        p.add(new Peer("ours-pop-noseq", "reactive-mmap, populateAhead, no sequential advice (16 MiB)", true, false,
                timed((f, s) -> ours(f, s, pop.withSequential(false)))));
        p.add(new Peer("ours-pop", "reactive-mmap, populateAhead, sequential advice (16 MiB)", true, false, timed((f, s) -> ours(f, s, pop))));
        p.add(new Peer("ours-pop-4m", "reactive-mmap, populateAhead, 4 MiB", true, false,
                timed((f, s) -> ours(f, s, windows(pop, 4)))));
        p.add(new Peer("ours-pop-64m", "reactive-mmap, populateAhead, 64 MiB", true, false,
                timed((f, s) -> ours(f, s, windows(pop, 64)))));
        p.add(new Peer("ours-pop-ra2", "reactive-mmap, populateAhead, readAhead 2 (16 MiB)", true, false,
                timed((f, s) -> ours(f, s, pop.withReadAhead(2)))));
        p.add(new Peer("hand", "hand-written 64 MiB mapped-window loop (confined Arena per window)", false, false,
                timed((f, s) -> handWritten(f, s, 64 * MIB, false))));
        p.add(new Peer("hand-16-shared", "hand-written 16 MiB loop, shared Arena per window (our shape)", false, false,
                timed((f, s) -> handWritten(f, s, 16 * MIB, true))));
        p.add(new Peer("filechannel", "FileChannel.read, page-aligned 1 MiB direct buffer", false, false,
                timed(ReadSuite::fileChannel)));
        p.add(new Peer("spring-8k", "Spring DataBufferUtils.read, 8 KiB (default)", false, true,
                timed((f, s) -> spring(f, s, 8192))));
        p.add(new Peer("spring-64k", "Spring DataBufferUtils.read, 64 KiB", false, true,
                timed((f, s) -> spring(f, s, 65536))));
        p.add(new Peer("netty", "Reactor Netty ByteBufFlux.fromPath (512 KiB chunks)", false, false,
                timed(ReadSuite::nettyFromPath)));
        p.add(new Peer("fis", "FileInputStream, 1 MiB byte[]", false, false, timed(ReadSuite::fileInputStream)));
        p.add(new Peer("limit", "reference: whole file mapped and pre-faulted (compute limit, not a peer)", false, false,
                ReadSuite::computeLimit));
        return p;
    }

    /** The same shape at a different window size: maxLiveBytes scaled so 4 windows fit, as with the defaults. */
    private static MapOptions windows(MapOptions base, int mib) {
        return base.withWindowSize((long) mib * MIB).withMaxLiveBytes(Math.max(base.maxLiveBytes(), 4L * mib * MIB));
    }

    private static Reader timed(Reader body) {
        return (file, sum) -> {
            long t0 = System.nanoTime();
            body.read(file, sum);
            return System.nanoTime() - t0;
        };
    }

    static long ours(Path file, LongSum sum, MapOptions options) {
        MappedFile.read(file, options, window -> {
            sum.add(window.segment());
            return window.length();
        }).blockLast();
        return 0;
    }

    static long handWritten(Path file, LongSum sum, long windowSize, boolean shared) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            for (long pos = 0; pos < size; pos += windowSize) {
                long len = Math.min(windowSize, size - pos);
                // Closing the arena unmaps the window at once.
                try (Arena arena = shared ? Arena.ofShared() : Arena.ofConfined()) {
                    sum.add(ch.map(FileChannel.MapMode.READ_ONLY, pos, len, arena));
                }
            }
        }
        return 0;
    }

    static long fileChannel(Path file, LongSum sum) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            // Page-aligned: ByteBuffer.allocateDirect's address sits 16 bytes past a page and copies into it run slower.
            MemorySegment segment = arena.allocate(MIB, 4096);
            ByteBuffer buffer = segment.asByteBuffer();
            for (;;) {
                buffer.clear();
                int n = ch.read(buffer);
                if (n < 0) {
                    break;
                }
                sum.add(segment.asSlice(0, n));
            }
        }
        return 0;
    }

    static long spring(Path file, LongSum sum, int bufferSize) {
        DataBufferUtils.read(file, DefaultDataBufferFactory.sharedInstance, bufferSize)
                .doOnNext(buffer -> {
                    try (DataBuffer.ByteBufferIterator it = buffer.readableByteBuffers()) {
                        while (it.hasNext()) {
                            sum.add(MemorySegment.ofBuffer(it.next()));
                        }
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .takeUntil(buffer -> sum.full())
                .blockLast();
        return 0;
    }

    static long nettyFromPath(Path file, LongSum sum) {
        ByteBufFlux.fromPath(file)
                .doOnNext((ByteBuf buffer) -> {
                    try {
                        sum.add(MemorySegment.ofBuffer(buffer.nioBuffer()));
                    } finally {
                        buffer.release();
                    }
                })
                .takeUntil(buffer -> sum.full())
                .blockLast();
        return 0;
    }

    static long fileInputStream(Path file, LongSum sum) throws IOException {
        byte[] buffer = new byte[MIB];
        MemorySegment segment = MemorySegment.ofArray(buffer);
        try (FileInputStream in = new FileInputStream(file.toFile())) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                sum.add(segment.asSlice(0, n));
            }
        }
        return 0;
    }

    /** The pure compute limit: only the sum is timed, over a mapping whose pages are all faulted in already. */
    static long computeLimit(Path file, LongSum sum) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            DataFiles.touch(all, 4096);
            long t0 = System.nanoTime();
            sum.add(all);
            return System.nanoTime() - t0;
        }
    }

    void run() throws Exception {
        Report report = new Report("read", config);
        Machine.CpuSample start = Machine.CpuSample.now();
        Path file = config.readFile();
        long size = config.readFileSize();
        long slowBytes = Math.min(size, config.slowPeerBytes());
        List<Peer> peers = peers();

        // Reference checksums, from the simplest path.
        DataFiles.warm(file, size);
        LongSum ref = new LongSum();
        fileChannel(file, ref);
        LongSum refPrefix = new LongSum(slowBytes);
        fileChannel(file, refPrefix);

        Map<String, List<Double>> gbps = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        for (Peer p : peers) {
            gbps.put(p.key(), new ArrayList<>());
        }
        int totalRounds = config.warmupRounds() + config.rounds();
        for (int round = 0; round < totalRounds; round++) {
            boolean warmup = round < config.warmupRounds();
            System.out.printf("read: %s %d/%d (load %s)%n", warmup ? "warm-up round" : "round",
                    warmup ? round + 1 : round - config.warmupRounds() + 1,
                    warmup ? config.warmupRounds() : config.rounds(), Machine.loadAverage());
            for (int k = 0; k < peers.size(); k++) {
                Peer p = peers.get((k + round) % peers.size()); // rotate the order each round
                long bytes = p.slow() ? slowBytes : size;
                DataFiles.warm(file, bytes);
                LongSum sum = new LongSum(bytes);
                long nanos;
                try {
                    nanos = p.reader().read(file, sum);
                } catch (Exception | Error e) {
                    failures.put(p.key(), e.toString());
                    System.out.printf("  %-70s FAILED: %s%n", p.name(), e);
                    continue;
                }
                long expected = p.slow() ? refPrefix.result() : ref.result();
                if (sum.bytes() != bytes || sum.result() != expected) {
                    failures.put(p.key(), "checksum mismatch: " + sum.bytes() + " bytes, sum " + sum.result()
                            + ", expected " + bytes + " bytes, sum " + expected);
                    System.out.printf("  %-70s CHECKSUM MISMATCH%n", p.name());
                    continue;
                }
                double rate = bytes / (double) nanos; // bytes per ns = GB/s
                System.out.printf("  %-70s %7.2f GB/s%n", p.name(), rate);
                if (!warmup) {
                    gbps.get(p.key()).add(rate);
                }
            }
        }

        double hand = Stats.median(gbps.get("hand"));
        Table table = new Table("Sequential sum of a hot " + (size >> 20) + " MiB file (median of " + config.rounds()
                + " interleaved rounds)", "Path", "GB/s", "min–max", "× hand-written loop", "bytes per run");
        List<Svg.Bar> bars = new ArrayList<>();
        for (Peer p : peers) {
            List<Double> s = gbps.get(p.key());
            String failure = failures.get(p.key());
            if (s.isEmpty()) {
                table.row(p.name(), "failed", failure == null ? "" : failure, "", "");
                continue;
            }
            double m = Stats.median(s);
            table.row(p.name() + (failure != null ? " (some runs failed: " + failure + ")" : ""), Table.f(m, 2),
                    Table.f(Stats.min(s), 2) + "–" + Table.f(Stats.max(s), 2), Table.f(m / hand, 2) + "×",
                    p.slow() ? (slowBytes >> 20) + " MiB prefix" : (size >> 20) + " MiB");
            bars.add(new Svg.Bar(p.name().replace("reactive-mmap", "ours"), m, p.ours()));
        }
        table.note("GB/s = 10^9 bytes per second. Every path sums the same bytes with the same kernel (LongSum) and "
                + "must produce the same checksum; the file is re-read into the page cache before every measured run.");
        table.note("Spring peers are measured over the first " + (slowBytes >> 20) + " MiB of the file only, to keep "
                + "the run short (a rate, so comparable).");
        table.note("The hand-written 64 MiB loop closes a confined arena per window (the cheapest close); ours closes "
                + "a shared arena per window.");
        table.note(Machine.noise(start));
        report.table(table);

        double ours = median(gbps, "ours");
        double pop = best(gbps, "ours-pop", "ours-pop-noseq", "ours-pop-4m", "ours-pop-64m", "ours-pop-ra2");
        double popDefault = median(gbps, "ours-pop");
        double netty = median(gbps, "netty");
        double spring = median(gbps, "spring-8k");
        Table targets = new Table("Targets", "Target", "Required", "Measured", "Met");
        targets.row("ours, defaults ÷ hand-written loop", "≥ 0.95×", Table.f(ours / hand, 2) + "×", met(ours / hand, 0.95));
        targets.row("ours, populateAhead (16 MiB) ÷ hand-written loop", "≥ 1.2×", Table.f(popDefault / hand, 2) + "×",
                met(popDefault / hand, 1.2));
        targets.row("ours, best populateAhead variant ÷ hand-written loop", "≥ 1.2×", Table.f(pop / hand, 2) + "×",
                met(pop / hand, 1.2));
        targets.row("ours, defaults ÷ Reactor Netty fromPath", "≥ 1.8×", Table.f(ours / netty, 2) + "×", met(ours / netty, 1.8));
        targets.row("ours, defaults ÷ Spring DataBufferUtils.read (8 KiB default)", "≥ 20×", Table.f(ours / spring, 1) + "×",
                met(ours / spring, 20));
        report.table(targets);
        report.chart("gbps", Svg.bars("Sequential sum of a hot " + (size >> 20) + " MiB file, GB/s (median)", "GB/s", bars));
        report.write(Bench.header("read", config));
    }

    static String describe(MapOptions o) {
        return (o.windowSize() >> 20) + " MiB, readAhead " + o.readAhead() + (o.populateAhead() ? ", populateAhead" : "")
                + (o.sequential() ? ", sequential" : "");
    }

    private static double median(Map<String, List<Double>> gbps, String key) {
        return Stats.median(gbps.get(key));
    }

    private static double best(Map<String, List<Double>> gbps, String... keys) {
        double best = Double.NaN;
        for (String k : keys) {
            double m = Stats.median(gbps.get(k));
            if (Double.isNaN(best) || m > best) {
                best = m;
            }
        }
        return best;
    }

    private static String met(double ratio, double required) {
        return Double.isNaN(ratio) ? "n/a" : ratio >= required ? "yes" : "**no**";
    }
}
