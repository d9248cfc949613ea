package io.reactivemmap;

import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An open file shared by one subscription and the windows it mapped. The subscription holds one reference and
 * each live window one more, so the file stays open (and {@link #currentSize()} can ask the inode we mapped,
 * not whatever the path names now) until the last window is unmapped. A mapping stays valid after its file
 * is closed; the file is kept only for the truncation checks.
 *
 * <p>A file is held one of two ways:
 * <ul>
 *   <li>by a bare descriptor ({@link #fd} {@code >= 0}), when the library opened the file itself and native access
 *   is on: windows are mapped with {@code mmap} through FFM and the size is read with {@code statx}, neither of which
 *   an interrupt can break (the JDK's {@code FileChannel} closes itself when a thread blocked in it is interrupted,
 *   and its {@code map} then leaks the mapping it made); a {@link FileChannel} is adopted only if a reader needs one;</li>
 *   <li>by a {@link FileChannel}: a channel the caller lent, or any file when native access is off. Windows are then
 *   mapped with {@code FileChannel.map}, which an interrupt of the mapping thread fails (see
 *   {@code FluxMappedWindows}).</li>
 * </ul>
 */
final class SharedFile extends RefCounted implements AutoCloseable {
    final Path path;
    /** The descriptor windows are mapped from, or -1 when they are mapped through {@link #channel()}. */
    final int fd;
    private volatile @Nullable FileChannel channel;
    /** The size taken at subscription: nothing past it is ever mapped. */
    final long size;
    /** Whether the channel belongs to the caller ({@link MappedFile#windows(FileChannel, Path, long, long, MapOptions)}). */
    private final boolean borrowed;

    SharedFile(Path path, FileChannel channel, long size) {
        this(path, channel, size, false);
    }

    SharedFile(Path path, FileChannel channel, long size, boolean borrowed) {
        this.path = path;
        this.fd = -1;
        this.channel = channel;
        this.size = size;
        this.borrowed = borrowed;
    }

    /** A file held by a descriptor this object now owns (closed with the last reference). */
    SharedFile(Path path, int fd, long size) {
        this.path = path;
        this.fd = fd;
        this.channel = null;
        this.size = size;
        this.borrowed = false;
    }

    /** The file as a channel: the one it was opened with, or the descriptor adopted through /proc on first use. */
    FileChannel channel() throws IOException {
        FileChannel c = channel;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            c = channel;
            if (c == null) {
                // /proc/self/fd/N names the open file itself (the inode we checked), not the path as it is now.
                c = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ);
                channel = c;
            }
            return c;
        }
    }

    /**
     * A window's reference: taken when it is mapped, while the subscription still holds its own.
     *
     * @throws IllegalStateException if the file was already closed (the count reached zero)
     */
    void retain() {
        retainRef();
    }

    /** Gives back a window's reference (or the subscription's, on an error before any window); closes the file when it was the last. */
    void release() {
        releaseRef();
    }

    /**
     * Gives back the subscription's reference, once: later calls, and calls once every reference is gone, do nothing
     * (the one close-after-release rule of {@link RefCounted}, as for windows and records).
     */
    @Override
    public void close() {
        closeRef();
    }

    /** The last reference is gone: close what we opened; a borrowed channel stays open, it is the caller's. */
    @Override
    void deallocate() {
        if (borrowed) {
            return;
        }
        FileChannel c = channel;
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing a read-only channel has nothing to flush; nothing useful to report
            }
        }
        NativeAccess.closeFd(fd);
    }

    @Override
    public String toString() {
        return "SharedFile[" + path + (fd >= 0 ? ", fd " + fd : "") + (borrowed ? ", borrowed" : "") + ", refCnt=" + count() + "]";
    }

    /** Drops the page cache of a range of the file: through the descriptor held, else by opening the path. */
    void dropCache(long offset, long length) {
        if (fd >= 0) {
            NativeAccess.dropCache(fd, offset, length);
        } else {
            NativeAccess.dropCache(path, offset, length);
        }
    }

    /** The file's size now, or -1 if it cannot be read (treated as "unknown", not as truncated). */
    long currentSize() {
        if (fd >= 0) {
            NativeAccess.FileStat stat = NativeAccess.fstat(fd);
            return stat == null ? -1 : stat.size();
        }
        try {
            FileChannel c = channel;
            return c == null ? -1 : withInterruptSetAside(c::size);
        } catch (IOException e) {
            return -1;
        }
    }

    /** A channel call that must not be broken by an interrupt already pending on this thread. */
    @FunctionalInterface
    interface ChannelCall<T> {
        T call() throws IOException;
    }

    /**
     * Runs {@code call} with this thread's pending interrupt set aside and restores it afterwards: a
     * {@link FileChannel} closes itself for good when it is used by an interrupted thread, which would break the
     * stream (and a borrowed channel, which is not ours to close). An interrupt that arrives during the call still
     * closes the channel; that is reported as what it is.
     */
    static <T> T withInterruptSetAside(ChannelCall<T> call) throws IOException {
        boolean wasInterrupted = Thread.interrupted();
        try {
            return call.call();
        } finally {
            if (wasInterrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
