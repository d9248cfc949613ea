package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Streams a file through the core pipeline and prints its CRC32C, with a live progress line and a final
 * throughput line. Each window is read inside {@link MappedFile#read} and closed as soon as it has been summed.
 *
 * <pre>
 * usage: ChecksumMain [FILE] [--window-size BYTES[k|m|g]] [--populate-ahead] [--drop-behind]
 * </pre>
 * Without FILE it generates (once) a 1 GiB demo file in the system temporary folder.
 */
public final class ChecksumMain {
    private static final long DEMO_SIZE = 1L << 30;

    private ChecksumMain() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        Path file = null;
        MapOptions options = MapOptions.defaults();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--window-size" -> options = options.withWindowSize(parseSize(value(args, ++i, "--window-size")));
                case "--populate-ahead" -> options = options.withPopulateAhead(true);
                case "--drop-behind" -> options = options.withDropBehind(true);
                case "-h", "--help" -> {
                    out.println("usage: ChecksumMain [FILE] [--window-size BYTES[k|m|g]] [--populate-ahead] [--drop-behind]");
                    return;
                }
                default -> {
                    if (args[i].startsWith("-") || file != null) {
                        err.println("unknown argument: " + args[i] + " (try --help)");
                        System.exit(2);
                    }
                    file = Path.of(args[i]);
                }
            }
        }
        if (file == null) {
            file = DemoFiles.random(DEMO_SIZE, err);
        }
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            err.println("cannot read " + file + ": " + e.getMessage());
            System.exit(1);
            return;
        }

        CRC32C crc = new CRC32C();
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        Progress progress = new Progress(err, size, done, start);
        Thread ticker = Thread.ofPlatform().daemon().name("progress").start(progress);
        try {
            // The scoped form: the window is closed right after this lambda returns, so nothing can leak.
            MappedFile.read(file, options, window -> {
                crc.update(window.asByteBuffer());
                return done.addAndGet(window.length());
            }).blockLast();
        } catch (RuntimeException e) {
            ticker.interrupt();
            err.println();
            Throwable cause = reactor.core.Exceptions.unwrap(e);
            err.println("failed: " + cause);
            System.exit(1);
        }
        ticker.interrupt();
        ticker.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        err.print("\r" + " ".repeat(78) + "\r");
        out.printf(Locale.ROOT, "crc32c %08x  %s%n", crc.getValue(), file);
        out.printf(Locale.ROOT, "%d bytes in %.3f s: %.2f GB/s (window %s, %d windows mapped, %d live after)%n",
                size, seconds, size / seconds / 1e9, human(options.windowSize()),
                MappingStats.snapshot().windowsMapped(), MappingStats.snapshot().liveWindows());
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            System.err.println(flag + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        if (t.endsWith("k")) {
            unit = 1L << 10;
        } else if (t.endsWith("m")) {
            unit = 1L << 20;
        } else if (t.endsWith("g")) {
            unit = 1L << 30;
        }
        if (unit != 1) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a size: " + s + " (expected e.g. 4096, 512k, 16m, 1g)");
        }
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1L << 20 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + " MiB";
        }
        if (bytes >= 1L << 10 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + " KiB";
        }
        return bytes + " B";
    }

    private record Progress(PrintStream err, long size, AtomicLong done, long start) implements Runnable {
        @Override
        public void run() {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(200);
                    long d = done.get();
                    double s = (System.nanoTime() - start) / 1e9;
                    MappingStats stats = MappingStats.snapshot();
                    err.printf(Locale.ROOT, "\r%5.1f%%  %,d / %,d bytes  %.2f GB/s  live windows %d (%s mapped)   ",
                            size == 0 ? 100.0 : 100.0 * d / size, d, size, s > 0 ? d / s / 1e9 : 0.0,
                            stats.liveWindows(), human(stats.mappedBytes()));
                }
            } catch (InterruptedException ignored) {
                // done
            }
        }
    }
}
