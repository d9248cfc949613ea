package io.reactivemmap.netty;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** (A copy of the core module's test helper.) Files with known content: byte {@code i} of a pattern file is {@link #byteAt(long)}. */
public final class TestFiles {
    private TestFiles() {
    }

    /** A deterministic, position-dependent byte, so a window at the wrong offset shows up as a mismatch. */
    public static byte byteAt(long position) {
        long x = position * 0x9E3779B97F4A7C15L;
        return (byte) ((x >>> 56) ^ (position >>> 12));
    }

    /** Bytes {@code [from, from + length)} of a pattern file. */
    public static byte[] expected(long from, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = byteAt(from + i);
        }
        return b;
    }

    public static Path pattern(Path dir, String name, long size) throws IOException {
        Path file = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            long pos = 0;
            while (pos < size) {
                buf.clear();
                int n = (int) Math.min(buf.capacity(), size - pos);
                for (int i = 0; i < n; i++) {
                    buf.put(byteAt(pos + i));
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf, pos + buf.position());
                }
                pos += n;
            }
        }
        return file;
    }

    /** A sparse file of {@code size} bytes: holes read as zero and cost no disk. */
    public static Path sparse(Path dir, String name, long size) throws IOException {
        Path file = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            if (size > 0) {
                ch.write(ByteBuffer.wrap(new byte[] {1}), size - 1);
            }
        }
        return file;
    }

    /** Resident KiB of this process's mappings of {@code file}, from /proc/self/smaps. */
    static long residentKiB(Path file) throws IOException {
        long kib = 0;
        boolean inFile = false;
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                inFile = line.endsWith(" " + file.toRealPath());
            } else if (inFile && line.startsWith("Rss:")) {
                kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return kib;
    }

    /** Descriptors of this process open on {@code file}, from /proc/self/fd. */
    public static long openDescriptors(Path file) throws IOException {
        Path real = file.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (IOException | UnsupportedOperationException gone) {
                    return false; // closed while listing, or not a link
                }
            }).count();
        }
    }

    public static void awaitNoDescriptors(Path file) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (openDescriptors(file) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, openDescriptors(file), "descriptors left open on " + file);
    }
}
