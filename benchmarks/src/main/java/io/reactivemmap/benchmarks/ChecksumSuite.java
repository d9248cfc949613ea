package io.reactivemmap.benchmarks;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;

/**
 * The {@code checksum} suite: SHA-256 and CRC32C of the same hot file, reactive-mmap side by side with
 * {@code sha256sum} and a plain {@code FileChannel.read} loop, in one JVM, in interleaved rounds (each round in a
 * rotated order), with the file re-read into the page cache right before each measured run. Every run's checksum is
 * compared with a reference computed once by a path no peer uses (a heap-buffer {@code FileChannel.read} loop); a
 * mismatch fails that run. Reports medians, GB/s (10^9 bytes per second), and ratios.
 *
 * <p>SHA-256 runs at one to two GB/s, so its paths hash a smaller file (see {@link Config#shaFile()}); the CRC32C
 * paths read the whole hot file. SHA-256 cannot be split across windows (every block depends on the state the
 * previous one left), so ours is one sequential pass; CRC32C is computed per window on parallel rails and the values
 * combined in file order ({@link Crc32cCombine}), which gives the ordinary CRC32C of the whole file.
 */
final class ChecksumSuite {
    private static final int MIB = DataFiles.MIB;
    private static final String SHA = "SHA-256";
    private static final String CRC = "CRC32C";

    /** Computes one checksum of the whole file, as lower-case hex. */
    @FunctionalInterface
    interface Checksummer {
        String checksum(Path file) throws Exception;
    }

    record Peer(String key, String name, String algorithm, boolean ours, Checksummer body) {
    }

    /** One window's share of the CRC: where it is, how long, and its own CRC32C. */
    record Part(long offset, long length, long crc) {
    }

    private final Config config;

    ChecksumSuite(Config config) {
        this.config = config;
    }

    static List<Peer> peers(boolean withSha256sum, int parallelism) {
        MapOptions d = MapOptions.defaults();
        List<Peer> p = new ArrayList<>();
        p.add(new Peer("ours-sha", "reactive-mmap MappedFile.read → MessageDigest, sequential (" + ReadSuite.describe(d)
                + ")", SHA, true, f -> oursSha256(f, d)));
        if (withSha256sum) {
            p.add(new Peer("sha256sum", "sha256sum FILE (external process, start to exit)", SHA, false,
                    ChecksumSuite::sha256sum));
        }
        p.add(new Peer("filechannel-sha", "FileChannel.read, page-aligned 1 MiB direct buffer → MessageDigest", SHA, false,
                ChecksumSuite::fileChannelSha256));
        p.add(new Peer("ours-crc-parallel", "reactive-mmap, CRC32C per window on " + parallelism
                + " parallel rails, combined in file order (" + ReadSuite.describe(d) + ")", CRC, true,
                f -> hex(oursCrc32cParallel(f, d, parallelism))));
        p.add(new Peer("ours-crc", "reactive-mmap MappedFile.read → CRC32C, sequential (" + ReadSuite.describe(d) + ")",
                CRC, true, f -> hex(oursCrc32c(f, d))));
        p.add(new Peer("filechannel-crc", "FileChannel.read, page-aligned 1 MiB direct buffer → CRC32C", CRC, false,
                f -> hex(fileChannelCrc32c(f))));
        return p;
    }

    /** SHA-256 window after window in file order; each window is closed right after the lambda returns. */
    static String oursSha256(Path file, MapOptions options) {
        MessageDigest digest = sha256();
        MappedFile.read(file, options, window -> {
            digest.update(window.asByteBuffer());
            return window.length();
        }).blockLast();
        return HexFormat.of().formatHex(digest.digest());
    }

    /** CRC32C window after window in file order. */
    static long oursCrc32c(Path file, MapOptions options) {
        CRC32C crc = new CRC32C();
        MappedFile.read(file, options, window -> {
            crc.update(window.asByteBuffer());
            return window.length();
        }).blockLast();
        return crc.getValue();
    }

    /**
     * CRC32C of the whole file: one CRC per window on parallel rails, joined in file order (the approach of the
     * {@code ParallelChecksumMain} sample). The rails receive window positions, not windows, and each maps its own
     * window with the scoped {@code MappedFile.read} over that range, which closes it before the rail moves on:
     * windows must not travel through {@code parallel()}, whose source clears its queue on cancel or error without
     * Reactor's discard hook, so a queued window would stay mapped.
     */
    static long oursCrc32cParallel(Path file, MapOptions options, int parallelism) throws IOException {
        long size = Files.size(file);
        long windowSize = options.windowSize();
        long windows = (size + windowSize - 1) / windowSize;
        List<Part> parts = Flux.fromStream(() -> LongStream.range(0, windows).boxed())
                .parallel(parallelism)
                .runOn(Schedulers.parallel(), 1)
                .flatMap(i -> {
                    long offset = i * windowSize;
                    long length = Math.min(windowSize, size - offset);
                    return MappedFile.read(file, offset, length, options, window -> {
                        CRC32C crc = new CRC32C();
                        crc.update(window.asByteBuffer());
                        return new Part(window.offset(), window.length(), crc.getValue());
                    });
                })
                .sequential()
                .collectSortedList(Comparator.comparingLong(Part::offset))
                .blockOptional()
                .orElse(List.of());
        long crc = 0; // CRC32C of no bytes
        long expectedOffset = 0;
        for (Part part : parts) {
            if (part.offset() != expectedOffset) {
                throw new IllegalStateException("windows are not contiguous: expected one at " + expectedOffset
                        + ", got " + part);
            }
            crc = Crc32cCombine.combine(crc, part.crc(), part.length());
            expectedOffset += part.length();
        }
        if (expectedOffset != size) {
            throw new IllegalStateException("the windows of " + file + " cover " + expectedOffset + " of its " + size
                    + " bytes");
        }
        return crc;
    }

    static String fileChannelSha256(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            // Page-aligned, as in the read suite: allocateDirect's address sits 16 bytes past a page.
            ByteBuffer buffer = arena.allocate(MIB, 4096).asByteBuffer();
            for (;;) {
                buffer.clear();
                if (ch.read(buffer) < 0) {
                    break;
                }
                digest.update(buffer.flip());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static long fileChannelCrc32c(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            ByteBuffer buffer = arena.allocate(MIB, 4096).asByteBuffer();
            for (;;) {
                buffer.clear();
                if (ch.read(buffer) < 0) {
                    break;
                }
                crc.update(buffer.flip());
            }
        }
        return crc.getValue();
    }

    /** The digest {@code sha256sum FILE} prints; the process's whole life is inside the measured time. */
    static String sha256sum(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("sha256sum " + file + " failed: " + output);
        }
        return output.split("\\s+", 2)[0];
    }

    /** The first line of {@code sha256sum --version}, or empty if the tool is not on the PATH. */
    static Optional<String> sha256sumVersion() {
        try {
            Process p = new ProcessBuilder("sha256sum", "--version").redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
                return Optional.empty();
            }
            return Optional.of(output.lines().findFirst().orElse("sha256sum"));
        } catch (IOException notFound) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The reference SHA-256, by a path none of the peers uses (a heap buffer: the JDK's array code paths). */
    static String referenceSha256(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(MIB);
            while (ch.read(buffer.clear()) >= 0) {
                digest.update(buffer.flip());
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** The reference CRC32C of the file's first {@code limit} bytes, by the same heap-buffer path. */
    static long referenceCrc32c(Path file, long limit) throws IOException {
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(MIB);
            long done = 0;
            while (done < limit && ch.read(buffer.clear().limit((int) Math.min(MIB, limit - done))) >= 0) {
                done += buffer.position();
                crc.update(buffer.flip());
            }
        }
        return crc.getValue();
    }

    void run() throws Exception {
        Report report = new Report("checksum", config);
        Machine.CpuSample start = Machine.CpuSample.now();
        Path file = config.readFile();
        long size = config.readFileSize();
        Path shaFile = config.shaFile();
        long shaSize = Files.size(shaFile);
        int parallelism = Runtime.getRuntime().availableProcessors();
        Optional<String> tool = sha256sumVersion();
        List<Peer> peers = peers(tool.isPresent(), parallelism);

        // References, from the simplest path, which no peer uses.
        DataFiles.warm(shaFile, shaSize);
        String refSha = referenceSha256(shaFile);
        DataFiles.warm(file, size);
        long refCrcValue = referenceCrc32c(file, Long.MAX_VALUE);
        String refCrc = hex(refCrcValue);
        // Is the SHA file really the hot file's prefix (same bytes)? Cheap to check with CRC32C.
        boolean samePrefix = shaFile.equals(file)
                || referenceCrc32c(shaFile, Long.MAX_VALUE) == referenceCrc32c(file, shaSize);
        System.out.printf("checksum: reference SHA-256 %s (%d MiB), CRC32C %s (%d MiB)%n", refSha, shaSize >> 20,
                refCrc, size >> 20);

        Map<String, List<Double>> gbps = new LinkedHashMap<>();
        Map<String, String> failures = new LinkedHashMap<>();
        for (Peer p : peers) {
            gbps.put(p.key(), new ArrayList<>());
        }
        int totalRounds = config.warmupRounds() + config.rounds();
        for (int round = 0; round < totalRounds; round++) {
            boolean warmup = round < config.warmupRounds();
            System.out.printf("checksum: %s %d/%d (load %s)%n", warmup ? "warm-up round" : "round",
                    warmup ? round + 1 : round - config.warmupRounds() + 1,
                    warmup ? config.warmupRounds() : config.rounds(), Machine.loadAverage());
            for (int k = 0; k < peers.size(); k++) {
                Peer p = peers.get((k + round) % peers.size()); // rotate the order each round
                boolean sha = p.algorithm().equals(SHA);
                Path target = sha ? shaFile : file;
                long bytes = sha ? shaSize : size;
                DataFiles.warm(target, bytes);
                String result;
                long nanos;
                try {
                    long t0 = System.nanoTime();
                    result = p.body().checksum(target);
                    nanos = System.nanoTime() - t0;
                } catch (Exception | Error e) {
                    failures.put(p.key(), e.toString());
                    System.out.printf("  %-100s FAILED: %s%n", p.name(), e);
                    continue;
                }
                String expected = sha ? refSha : refCrc;
                if (!result.equals(expected)) {
                    failures.put(p.key(), p.algorithm() + " mismatch: got " + result + ", expected " + expected);
                    System.out.printf("  %-100s %s MISMATCH: %s, expected %s%n", p.name(), p.algorithm(), result, expected);
                    continue;
                }
                double rate = bytes / (double) nanos; // bytes per ns = GB/s
                System.out.printf("  %-100s %7.2f GB/s%n", p.name(), rate);
                if (!warmup) {
                    gbps.get(p.key()).add(rate);
                }
            }
        }
        long liveAfter = MappingStats.snapshot().liveWindows();

        String rounds = "median of " + config.rounds() + " interleaved rounds";
        Table shaTable = new Table("SHA-256 of a hot " + (shaSize >> 20) + " MiB file (" + rounds + ")", "Path", "GB/s",
                "min–max", "× sha256sum", "× FileChannel.read loop", "bytes per run");
        Table crcTable = new Table("CRC32C of a hot " + (size >> 20) + " MiB file (" + rounds + ")", "Path", "GB/s",
                "min–max", "× FileChannel.read loop", "bytes per run");
        double tool256 = Stats.median(gbps.getOrDefault("sha256sum", List.of()));
        double loopSha = Stats.median(gbps.get("filechannel-sha"));
        double loopCrc = Stats.median(gbps.get("filechannel-crc"));
        List<Svg.Bar> shaBars = new ArrayList<>();
        List<Svg.Bar> crcBars = new ArrayList<>();
        for (Peer p : peers) {
            boolean sha = p.algorithm().equals(SHA);
            Table table = sha ? shaTable : crcTable;
            List<Double> s = gbps.get(p.key());
            String failure = failures.get(p.key());
            String label = p.name() + (failure != null && !s.isEmpty() ? " (some runs failed: " + failure + ")" : "");
            String bytes = ((sha ? shaSize : size) >> 20) + " MiB";
            if (s.isEmpty()) {
                if (sha) {
                    table.row(p.name(), "failed", failure == null ? "" : failure, "", "", "");
                } else {
                    table.row(p.name(), "failed", failure == null ? "" : failure, "", "");
                }
                continue;
            }
            double m = Stats.median(s);
            String spread = Table.f(Stats.min(s), 2) + "–" + Table.f(Stats.max(s), 2);
            if (sha) {
                table.row(label, Table.f(m, 2), spread, ratio(m, tool256), ratio(m, loopSha), bytes);
                shaBars.add(new Svg.Bar(p.name().replace("reactive-mmap", "ours"), m, p.ours()));
            } else {
                table.row(label, Table.f(m, 2), spread, ratio(m, loopCrc), bytes);
                crcBars.add(new Svg.Bar(p.name().replace("reactive-mmap", "ours"), m, p.ours()));
            }
        }
        String common = "GB/s = 10^9 bytes per second. Every run's checksum is compared with a reference computed once "
                + "by a path no peer uses (a heap-buffer FileChannel.read loop); a mismatch fails the run. The file is "
                + "re-read into the page cache before every measured run.";
        shaTable.note(common);
        if (!shaFile.equals(file)) {
            shaTable.note("SHA-256 is measured over " + (shaSize >> 20) + " MiB, not the whole " + (size >> 20)
                    + " MiB file, to keep the suite short (a rate, so comparable): a separate file "
                    + (samePrefix ? "holding the same bytes as the hot file's first " + (shaSize >> 20)
                    + " MiB (checked)" : "(its bytes are NOT the hot file's prefix: generated differently)")
                    + ", because sha256sum hashes whole files.");
        }
        shaTable.note(tool.map(v -> "sha256sum: " + v + "; timed from process start to exit, so its rate includes "
                + "fork/exec (milliseconds).").orElse("sha256sum is not on the PATH: its row and ratio are skipped."));
        shaTable.note("SHA-256 cannot be split across windows (every block depends on the previous state), so every "
                + "SHA-256 path is one sequential pass; the JDK's MessageDigest copies direct-buffer input through a "
                + "small heap array, for ours and the FileChannel loop alike. CPU SHA extensions (sha_ni): "
                + (cpuHasShaNi() ? "yes" : "no") + ".");
        crcTable.note(common);
        crcTable.note("The parallel path maps each window on its rail (Schedulers.parallel(), " + parallelism
                + " rails for " + parallelism + " cores) and joins the per-window CRC32C values in file order with "
                + "zlib's crc32_combine method (Crc32cCombine); the result is the plain CRC32C of the whole file.");
        crcTable.note("Windows still mapped after the suite: " + liveAfter + (liveAfter == 0 ? "." : " (A LEAK)."));
        crcTable.note(Machine.noise(start));
        report.table(shaTable);
        report.table(crcTable);
        report.chart("sha256", Svg.bars("SHA-256 of a hot " + (shaSize >> 20) + " MiB file, GB/s (median)", "GB/s",
                shaBars));
        report.chart("crc32c", Svg.bars("CRC32C of a hot " + (size >> 20) + " MiB file, GB/s (median)", "GB/s", crcBars));
        report.write(Bench.header("checksum", config));
    }

    private static String ratio(double value, double baseline) {
        double r = value / baseline;
        return Double.isNaN(r) ? "n/a" : Table.f(r, 2) + "×";
    }

    private static String hex(long crc) {
        return String.format("%08x", crc);
    }

    private static boolean cpuHasShaNi() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .anyMatch(line -> line.startsWith("flags") && line.contains(" sha_ni"));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
