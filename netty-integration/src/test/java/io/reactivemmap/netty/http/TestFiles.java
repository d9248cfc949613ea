package io.reactivemmap.netty.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

// Copy of the core module's test utility (this module has no test-jar dependency on it yet).
/** Files with known content: byte {@code i} of a pattern file is {@link #byteAt(long)}. */
public final class TestFiles {
    private TestFiles() {
    }

    /** A deterministic, position-dependent byte, so a window at the wrong offset shows up as a mismatch. */
    public static byte byteAt(long position) {
        long x = position * 0x9E3779B97F4A7C15L;
        return (byte) ((x >>> 56) ^ (position >>> 12));
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
}
