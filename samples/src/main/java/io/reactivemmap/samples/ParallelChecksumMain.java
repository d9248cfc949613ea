package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * SHA-256 and CRC32C of a file, in the format of {@code sha256sum}.
 *
 * <ul>
 *   <li><b>CRC32C in parallel windows.</b> Each window's CRC32C is computed on a rail
 *       ({@code parallel().runOn(Schedulers.parallel())}) that maps the window, sums it and closes it; the per-window values are
 *       then joined in file order with {@link Crc32cCombine} (zlib's GF(2) matrix method). The result is the ordinary
 *       CRC32C of the whole file, equal to {@link CRC32C} over all of it.</li>
 *   <li><b>SHA-256 in one sequential pass.</b> SHA-256 cannot be split: every block depends on the state left by the
 *       previous one. A "hash of per-window hashes" would run in parallel but is a different digest, which
 *       {@code sha256sum} would not reproduce, so this sample does not offer it. The pass reads window after window
 *       through {@link MappedFile#read}; the file is mapped, not copied, and only the hashing costs CPU.</li>
 * </ul>
 *
 * <pre>
 * usage: ParallelChecksumMain [FILE] [--algorithm both|sha256|crc32c] [--parallelism N]
 *                             [--window-size BYTES[k|m|g]] [--size BYTES[k|m|g]] [--verify]
 * </pre>
 * Without FILE it generates (once) a file of {@code --size} pseudo-random bytes (default 1 GiB) in the temporary
 * folder. {@code --verify} recomputes both independently ({@code sha256sum} when it is on the PATH, and a plain
 * {@code FileChannel.read} loop into {@link CRC32C} and {@link MessageDigest}) and fails if anything differs.
 *
 * <p>Output on stdout: {@code sha256 <64 hex>  <file>} and {@code crc32c <8 hex>  <file>}, then a timing line per
 * algorithm, then (with {@code --verify}) a {@code verified ...} line per check.
 */
public final class ParallelChecksumMain {
    private static final String USAGE = "usage: ParallelChecksumMain [FILE] [--algorithm both|sha256|crc32c] [--parallelism N] "
            + "[--window-size BYTES[k|m|g]] [--size BYTES[k|m|g]] [--verify]";

    private ParallelChecksumMain() {
    }

    /** One window's share of the CRC: where it is, how long, and its own CRC32C. */
    record Part(long offset, long length, long crc) {
    }

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The whole program, minus {@code System.exit}: parses {@code args}, runs, prints; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path file = null;
        String algorithm = "both";
        int parallelism = Runtime.getRuntime().availableProcessors();
        long demoSize = 1L << 30;
        boolean verify = false;
        MapOptions options = MapOptions.defaults();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--algorithm" -> algorithm = value(args, ++i, "--algorithm");
                    case "--parallelism" -> parallelism = Integer.parseInt(value(args, ++i, "--parallelism"));
                    case "--window-size" -> options = options.withWindowSize(ChecksumMain.parseSize(value(args, ++i, "--window-size")));
                    case "--size" -> demoSize = ChecksumMain.parseSize(value(args, ++i, "--size"));
                    case "--verify" -> verify = true;
                    case "-h", "--help" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    default -> {
                        if (args[i].startsWith("-") || file != null) {
                            throw new IllegalArgumentException("unknown argument: " + args[i] + " (try --help)");
                        }
                        file = Path.of(args[i]);
                    }
                }
            }
            if (!List.of("both", "sha256", "crc32c").contains(algorithm)) {
                throw new IllegalArgumentException("--algorithm must be both, sha256 or crc32c (got " + algorithm + ")");
            }
            if (parallelism < 1) {
                throw new IllegalArgumentException("--parallelism must be >= 1 (got " + parallelism + ")");
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }

        long size;
        try {
            if (file == null) {
                file = DemoFiles.random(demoSize, err);
            }
            size = Files.size(file);
        } catch (IOException e) {
            err.println("cannot read " + file + ": " + e);
            return 1;
        }

        @Nullable String sha = null;
        @Nullable Long crc = null;
        try {
            if (!algorithm.equals("crc32c")) {
                AtomicLong done = new AtomicLong();
                long start = System.nanoTime();
                GrepMain.Progress progress = new GrepMain.Progress(err, size, done, start);
                Thread ticker = Thread.ofPlatform().daemon().name("progress").start(progress);
                try {
                    sha = sha256(file, options, done::addAndGet);
                } finally {
                    progress.stop(ticker);
                }
                out.println("sha256 " + sha + "  " + file);
                timing(out, "sha256", size, System.nanoTime() - start, "sequential, one window at a time");
            }
            if (!algorithm.equals("sha256")) {
                AtomicLong done = new AtomicLong();
                long start = System.nanoTime();
                GrepMain.Progress progress = new GrepMain.Progress(err, size, done, start);
                Thread ticker = Thread.ofPlatform().daemon().name("progress").start(progress);
                try {
                    crc = crc32c(file, options, parallelism, done::addAndGet);
                } finally {
                    progress.stop(ticker);
                }
                out.println("crc32c " + String.format("%08x", crc) + "  " + file);
                timing(out, "crc32c", size, System.nanoTime() - start,
                        parallelism + " windows in parallel, combined in file order");
            }
        } catch (RuntimeException e) {
            err.println("failed: " + reactor.core.Exceptions.unwrap(e));
            return 1;
        }
        if (MappingStats.snapshot().liveWindows() != 0) {
            err.println("bug: " + MappingStats.snapshot().liveWindows() + " windows still mapped");
            return 1;
        }
        if (verify) {
            return verify(file, sha, crc, out, err);
        }
        return 0;
    }

    /**
     * SHA-256 of the whole file, window after window in order (equal to {@code sha256sum}).
     *
     * @param progress told the length of each window once hashed
     */
    public static String sha256(Path file, MapOptions options, LongConsumer progress) {
        MessageDigest digest = newSha256();
        // The scoped form: each window is closed right after the lambda returns.
        MappedFile.read(file, options, window -> {
            digest.update(window.asByteBuffer());
            progress.accept(window.length());
            return window.length();
        }).blockLast();
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * CRC32C of the whole file: one CRC per window on parallel rails, joined in file order.
     *
     * <p>The rails receive window <em>positions</em>, not windows, and each maps its own window with the scoped
     * {@link MappedFile#read(Path, long, long, MapOptions, java.util.function.Function)}, which closes it before the
     * rail moves on. Windows must not travel through {@code parallel()}: its source clears its queue on cancel or error
     * without Reactor's discard hook (Reactor 3.8 {@code ParallelSource} calls {@code queue.clear()}), so a window
     * queued there when a rail fails would stay mapped. This way at most {@code parallelism} windows are mapped at once.
     *
     * @param progress told the length of each window once summed (called on the rails' threads)
     */
    public static long crc32c(Path file, MapOptions options, int parallelism, LongConsumer progress) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw reactor.core.Exceptions.propagate(e);
        }
        long windowSize = options.windowSize();
        long windows = (size + windowSize - 1) / windowSize;
        List<Part> parts = Flux.fromStream(() -> LongStream.range(0, windows).boxed())
                .parallel(parallelism)
                .runOn(Schedulers.parallel(), 1)
                .flatMap(i -> {
                    long offset = i * windowSize;
                    long length = Math.min(windowSize, size - offset);
                    // One window, mapped on this rail and closed right after the lambda: nothing to leak.
                    return MappedFile.read(file, offset, length, options, window -> {
                        CRC32C crc = new CRC32C();
                        crc.update(window.asByteBuffer());
                        progress.accept(window.length());
                        return new Part(window.offset(), window.length(), crc.getValue());
                    });
                })
                .sequential()
                .collectSortedList(Comparator.comparingLong(Part::offset))
                .blockOptional()
                .orElse(List.of());
        if (!parts.isEmpty() && parts.getLast().offset() + parts.getLast().length() != size) {
            throw new IllegalStateException("the windows of " + file + " do not cover its " + size + " bytes: " + parts.getLast());
        }
        return combine(parts);
    }

    /** Joins per-window CRCs, sorted by offset and contiguous, into the CRC of their concatenation. */
    static long combine(List<Part> parts) {
        long crc = 0; // CRC32C of no bytes
        long expectedOffset = parts.isEmpty() ? 0 : parts.getFirst().offset();
        for (Part p : parts) {
            if (p.offset() != expectedOffset) {
                throw new IllegalStateException("windows are not contiguous: expected one at " + expectedOffset + ", got " + p);
            }
            crc = Crc32cCombine.combine(crc, p.crc(), p.length());
            expectedOffset += p.length();
        }
        return crc;
    }

    /** Recomputes with tools that share nothing with the mapped path, and compares. Returns the exit status. */
    static int verify(Path file, @Nullable String sha, @Nullable Long crc, PrintStream out, PrintStream err) {
        try {
            Reference reference = reference(file);
            int status = 0;
            if (sha != null) {
                status |= check(out, err, "sha256", sha, reference.sha256(), "a FileChannel.read loop into MessageDigest");
                Optional<String> tool = sha256sum(file);
                if (tool.isPresent()) {
                    status |= check(out, err, "sha256", sha, tool.get(), "sha256sum");
                } else {
                    out.println("skipped sha256sum (not on the PATH)");
                }
            }
            if (crc != null) {
                status |= check(out, err, "crc32c", String.format("%08x", crc), String.format("%08x", reference.crc32c()),
                        "a FileChannel.read loop into java.util.zip.CRC32C");
            }
            return status;
        } catch (IOException e) {
            err.println("verification failed to run: " + e);
            return 1;
        }
    }

    private static int check(PrintStream out, PrintStream err, String what, String ours, String theirs, String by) {
        if (ours.equals(theirs)) {
            out.println("verified " + what + " equals " + by);
            return 0;
        }
        err.println("MISMATCH " + what + ": ours " + ours + ", " + by + " says " + theirs);
        return 1;
    }

    /** SHA-256 (hex) and CRC32C of a file read with plain {@code FileChannel.read}, no mapping. */
    record Reference(String sha256, long crc32c) {
    }

    static Reference reference(Path file) throws IOException {
        MessageDigest digest = newSha256();
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                digest.update(buf.duplicate());
                crc.update(buf);
                buf.clear();
            }
        }
        return new Reference(HexFormat.of().formatHex(digest.digest()), crc.getValue());
    }

    /** The digest {@code sha256sum} prints for {@code file}, or empty if the tool is not on the PATH. */
    static Optional<String> sha256sum(Path file) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("sha256sum", file.toString()).redirectErrorStream(true).start();
        } catch (IOException notFound) {
            return Optional.empty();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("sha256sum " + file + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for sha256sum", e);
        }
        return Optional.of(output.split("\\s+", 2)[0]);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private static void timing(PrintStream out, String what, long size, long nanos, String how) {
        double seconds = nanos / 1e9;
        out.printf(Locale.ROOT, "%s: %,d bytes in %.3f s: %.2f GB/s (%s)%n", what, size, seconds,
                seconds > 0 ? size / seconds / 1e9 : 0.0, how);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }
}
