package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedRecords;
import io.reactivemmap.MappingStats;
import io.reactivemmap.RecordOptions;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code grep -c} over a big log: counts the lines that contain a literal and all lines, with a live progress line on
 * stderr and a throughput line at the end. Lines come from {@link MappedRecords#read}: each line is a view of the
 * mapped file (no copy, no {@code String}) searched byte by byte, and closed as soon as it has been looked at; only
 * the first few matches are decoded, to show them.
 *
 * <pre>
 * usage: GrepMain [FILE] [--pattern TEXT] [--show N] [--window-size BYTES[k|m|g]] [--size BYTES[k|m|g]]
 * </pre>
 * Without FILE it generates (once) a demo log of {@code --size} bytes (default 1 GiB) in the temporary folder.
 *
 * <p>Output on stdout, one line each: {@code match <line number>: <text>} for the first {@code --show} matches (default
 * 3), then {@code matched <count> lines <count>  <file>}, then a human-readable throughput line.
 */
public final class GrepMain {
    private static final String USAGE =
            "usage: GrepMain [FILE] [--pattern TEXT] [--show N] [--window-size BYTES[k|m|g]] [--size BYTES[k|m|g]]";

    private GrepMain() {
    }

    /**
     * What a run found.
     *
     * @param firstMatches "line number: text" of the first matches, at most the number asked for
     */
    public record Result(Path file, long bytes, long lines, long matched, List<String> firstMatches, long nanos) {
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
        String pattern = "ERROR";
        int show = 3;
        long demoSize = 1L << 30;
        MapOptions options = MapOptions.defaults();
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--pattern" -> pattern = value(args, ++i, "--pattern");
                    case "--show" -> show = Integer.parseInt(value(args, ++i, "--show"));
                    case "--window-size" -> options = options.withWindowSize(ChecksumMain.parseSize(value(args, ++i, "--window-size")));
                    case "--size" -> demoSize = ChecksumMain.parseSize(value(args, ++i, "--size"));
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
            if (show < 0) {
                throw new IllegalArgumentException("--show must be >= 0 (got " + show + ")");
            }
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }

        long size;
        try {
            if (file == null) {
                file = DemoFiles.log(demoSize, err);
            }
            size = Files.size(file);
        } catch (IOException e) {
            err.println("cannot read " + file + ": " + e);
            return 1;
        }

        AtomicLong position = new AtomicLong();
        Progress progress = new Progress(err, size, position, System.nanoTime());
        Thread ticker = Thread.ofPlatform().daemon().name("progress").start(progress);
        Result result;
        try {
            result = count(file, pattern.getBytes(StandardCharsets.UTF_8), RecordOptions.lines().withMapOptions(options),
                    show, position);
        } catch (RuntimeException e) {
            progress.stop(ticker);
            err.println("failed: " + reactor.core.Exceptions.unwrap(e));
            return 1;
        }
        progress.stop(ticker);
        for (String match : result.firstMatches()) {
            out.println("match " + match);
        }
        out.println("matched " + result.matched() + " lines " + result.lines() + "  " + result.file());
        double seconds = result.nanos() / 1e9;
        out.printf(Locale.ROOT, "grep \"%s\": %,d bytes, %,d lines in %.3f s: %.2f GB/s, %.1f M lines/s (window %s, %d live windows after)%n",
                pattern, result.bytes(), result.lines(), seconds, result.bytes() / seconds / 1e9,
                result.lines() / seconds / 1e6, ChecksumMain.human(options.windowSize()), MappingStats.snapshot().liveWindows());
        return 0;
    }

    /**
     * Counts the lines of {@code file} that contain {@code pattern} (a plain byte sequence; an empty pattern matches
     * every line), and all lines.
     *
     * @param show     how many matches to decode and return
     * @param position set to the file offset reached, for a progress display
     */
    public static Result count(Path file, byte[] pattern, RecordOptions options, int show, AtomicLong position) {
        long start = System.nanoTime();
        Finder finder = new Finder(pattern);
        List<String> shown = new ArrayList<>();
        long[] tally = new long[2]; // lines, matched: only touched by the thread running the pipeline, in order
        // The scoped form: each line is closed right after this lambda returns, so nothing can leak, whatever happens.
        MappedRecords.read(file, options, line -> {
            tally[0]++;
            boolean hit = finder.foundIn(line.segment());
            if (hit) {
                tally[1]++;
                if (shown.size() < show) {
                    // The only decoding: a match we print.
                    shown.add((line.index() + 1) + ": " + line.toString(StandardCharsets.UTF_8));
                }
            }
            position.lazySet(line.end());
            return hit;
        }).blockLast();
        long bytes;
        try {
            bytes = Files.size(file);
        } catch (IOException e) {
            bytes = position.get();
        }
        return new Result(file, bytes, tally[0], tally[1], List.copyOf(shown), System.nanoTime() - start);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    /**
     * A literal byte search: finds candidates for the first byte eight bytes at a time, then compares the rest with
     * {@link MemorySegment#mismatch}. Enough for log lines; a long pattern over long records would want Boyer-Moore.
     */
    static final class Finder {
        private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private final MemorySegment pattern;
        private final byte first;
        private final long firstRepeated;
        private final long length;

        Finder(byte[] pattern) {
            this.pattern = MemorySegment.ofArray(pattern.clone());
            this.length = pattern.length;
            this.first = pattern.length == 0 ? 0 : pattern[0];
            this.firstRepeated = (first & 0xFFL) * 0x0101010101010101L;
        }

        boolean foundIn(MemorySegment haystack) {
            return indexIn(haystack) >= 0;
        }

        long indexIn(MemorySegment haystack) {
            if (length == 0) {
                return 0;
            }
            long last = haystack.byteSize() - length; // the last position where the pattern fits
            long i = 0;
            while (i <= last) {
                long candidate = nextFirstByte(haystack, i, last + 1);
                if (candidate < 0) {
                    return -1;
                }
                if (MemorySegment.mismatch(haystack, candidate, candidate + length, pattern, 0, length) < 0) {
                    return candidate;
                }
                i = candidate + 1;
            }
            return -1;
        }

        /** The first position in {@code [from, to)} holding the pattern's first byte, or -1 (the "has zero byte" trick). */
        private long nextFirstByte(MemorySegment s, long from, long to) {
            long i = from;
            for (; i + Long.BYTES <= to; i += Long.BYTES) {
                long v = s.get(LONG_LE, i) ^ firstRepeated;
                long found = (v - 0x0101010101010101L) & ~v & 0x8080808080808080L;
                if (found != 0) {
                    return i + (Long.numberOfTrailingZeros(found) >>> 3);
                }
            }
            for (; i < to; i++) {
                if (s.get(ValueLayout.JAVA_BYTE, i) == first) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** Redraws one progress line on stderr five times a second. */
    static final class Progress implements Runnable {
        private final PrintStream err;
        private final long size;
        private final AtomicLong position;
        private final long start;

        Progress(PrintStream err, long size, AtomicLong position, long start) {
            this.err = err;
            this.size = size;
            this.position = position;
            this.start = start;
        }

        @Override
        public void run() {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(200);
                    long done = position.get();
                    double fraction = size == 0 ? 1.0 : (double) done / size;
                    int bar = (int) (fraction * 30);
                    double s = (System.nanoTime() - start) / 1e9;
                    err.printf(Locale.ROOT, "\r[%s%s] %5.1f%%  %,d / %,d bytes  %.2f GB/s   ", "#".repeat(bar),
                            ".".repeat(30 - bar), fraction * 100, done, size, s > 0 ? done / s / 1e9 : 0.0);
                }
            } catch (InterruptedException ignored) {
                // stopped
            }
        }

        void stop(Thread ticker) {
            ticker.interrupt();
            try {
                ticker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.print("\r" + " ".repeat(100) + "\r");
        }
    }
}
