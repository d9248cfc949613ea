package io.reactivemmap.benchmarks;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;

/**
 * Generated benchmark files (in a git-ignored data folder or a temporary one, never committed) and page-cache warming;
 * shared by the harness's suites and the JMH benchmarks ({@code io.reactivemmap.benchmarks.jmh}).
 */
public final class DataFiles {
    /** One MiB. */
    public static final int MIB = 1 << 20;
    /** One GiB. */
    public static final long GIB = 1L << 30;

    private DataFiles() {
    }

    /** A file of {@code size} pseudo-random bytes, written once and reused while its size matches. */
    public static Path random(Path dir, String name, long size) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return file;
        }
        System.out.printf("generating %s (%d MiB) ...%n", file, size >> 20);
        long t0 = System.nanoTime();
        Path tmp = dir.resolve(name + ".tmp");
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer buffer = ByteBuffer.allocateDirect(8 * MIB).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long written = 0;
            while (written < size) {
                buffer.clear();
                int n = (int) Math.min(buffer.capacity(), size - written);
                while (buffer.position() + 8 <= n) {
                    buffer.putLong(random.nextLong());
                }
                while (buffer.position() < n) {
                    buffer.put((byte) random.nextInt());
                }
                buffer.flip();
                while (buffer.hasRemaining()) {
                    written += out.write(buffer);
                }
            }
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.out.printf("  generated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return file;
    }

    /** A sparse file of {@code size} bytes (reads as zeros, costs no disk). */
    static Path sparse(Path dir, String name, long size) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return file;
        }
        Files.deleteIfExists(file);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    /**
     * Reads {@code [0, length)} of the file into the page cache (this machine evicts idle page cache after about a
     * minute, so every measured run is preceded by this, or it would measure the disk).
     */
    public static void warm(Path file, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            ByteBuffer buffer = arena.allocate(4 * MIB, 4096).asByteBuffer();
            long pos = 0;
            while (pos < length) {
                buffer.clear();
                int n = ch.read(buffer, pos);
                if (n < 0) {
                    break;
                }
                pos += n;
            }
        }
    }

    /** Touches one byte per page of a segment (faults it in), returning something the JIT cannot discard. */
    public static long touch(MemorySegment segment, int pageSize) {
        long s = 0;
        for (long i = 0; i < segment.byteSize(); i += pageSize) {
            s += segment.get(ValueLayout.JAVA_BYTE, i);
        }
        return s;
    }
}
