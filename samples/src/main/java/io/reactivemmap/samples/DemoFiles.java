package io.reactivemmap.samples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Demo inputs for the samples: written once into the temporary folder, reused while their size matches. */
final class DemoFiles {
    private static final String[] LEVELS = {"INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ",
            "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"};
    private static final String[] PATHS = {"/api/items/", "/api/users/", "/static/app.js?v=", "/api/orders/", "/health?ts="};

    private DemoFiles() {
    }

    /** A demo log of exactly {@code size} bytes in the temporary folder (reused if it already exists). */
    static Path log(long size, PrintStream err) throws IOException {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "reactive-mmap-demo-" + size + ".log");
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return file;
        }
        err.println("no file named: generating a " + ChecksumMain.human(size) + " demo log at " + file);
        Path tmp = Files.createTempFile(file.getParent(), "reactive-mmap-demo", ".tmp");
        writeLog(tmp, size);
        // Renamed into place so that a run interrupted while generating never leaves a short demo file behind.
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /**
     * Writes {@code size} bytes of log lines such as {@code 2026-01-01T00:00:07.123Z ERROR [worker-03] GET /api/items/4711
     * 500 12ms}: about one line in twenty is an ERROR. The last line is cut at {@code size}, so it may lack its newline.
     */
    static void writeLog(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            StringBuilder line = new StringBuilder(128);
            long x = 0x9E3779B97F4A7C15L;
            long millis = 0;
            long written = 0;
            while (written < size) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                long r = x & Long.MAX_VALUE;
                millis += r % 50;
                line.setLength(0);
                line.append("2026-01-01T");
                two(line, millis / 3_600_000 % 24).append(':');
                two(line, millis / 60_000 % 60).append(':');
                two(line, millis / 1000 % 60).append('.');
                long ms = millis % 1000;
                line.append(ms < 100 ? (ms < 10 ? "00" : "0") : "").append(ms).append("Z ");
                String level = LEVELS[(int) (r % LEVELS.length)];
                line.append(level).append(" [worker-");
                two(line, (r >>> 8) % 16).append("] GET ").append(PATHS[(int) ((r >>> 16) % PATHS.length)])
                        .append((r >>> 20) % 100_000).append(' ')
                        .append(level.startsWith("ERROR") ? 500 : level.startsWith("WARN") ? 429 : 200).append(' ')
                        .append((r >>> 40) % 900).append("ms\n");
                byte[] bytes = line.toString().getBytes(StandardCharsets.US_ASCII);
                int n = (int) Math.min(bytes.length, size - written);
                if (buf.remaining() < n) {
                    flush(ch, buf);
                }
                buf.put(bytes, 0, n);
                written += n;
            }
            flush(ch, buf);
        }
    }

    /** A file of exactly {@code size} pseudo-random bytes in the temporary folder (reused if it already exists). */
    static Path random(long size, PrintStream err) throws IOException {
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "reactive-mmap-demo-" + size + ".bin");
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return file;
        }
        err.println("no file named: generating a " + ChecksumMain.human(size) + " demo file at " + file);
        Path tmp = Files.createTempFile(file.getParent(), "reactive-mmap-demo", ".tmp");
        writeRandom(tmp, size, 0x9E3779B97F4A7C15L);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    static void writeRandom(Path file, long size, long seed) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 20);
            long x = seed == 0 ? 1 : seed;
            for (long written = 0; written < size; ) {
                buf.clear();
                while (buf.remaining() >= Long.BYTES) {
                    x ^= x << 13;
                    x ^= x >>> 7;
                    x ^= x << 17;
                    buf.putLong(x);
                }
                buf.flip();
                buf.limit((int) Math.min(buf.limit(), size - written));
                written += buf.remaining();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
    }

    private static StringBuilder two(StringBuilder sb, long v) {
        return sb.append(v < 10 ? "0" : "").append(v);
    }

    private static void flush(FileChannel ch, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
        buf.clear();
    }
}
