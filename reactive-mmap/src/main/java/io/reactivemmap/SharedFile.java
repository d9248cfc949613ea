package io.reactivemmap;

import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * An open file shared by one subscription and the windows it mapped. The subscription holds one reference and
 * each live window one more, so the file stays open (and {@link #currentSize()} can ask the inode we mapped,
 * not whatever the path names now) until the last window is unmapped. A mapping stays valid after its file
 * is closed; the file is kept only for the truncation checks.
 *
 * <p>The rules for opening live here, with the file: {@link #open} (a regular file, checked again once open, with
 * errors that name the file and the fix), {@link #borrow} (a caller's channel), and {@link #resolveEnd} (the range
 * must lie inside the size taken at opening; a size-0 file with content is a /proc-style pseudo-file and refused).
 * The count follows {@link RefCounted}: the subscription's reference is given back with {@link #close()}, once;
 * each window's with {@link #release()}.
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

    /**
     * Where a stream of {@code length} bytes from {@code offset} ends in this file, checked against the size taken
     * when the file was opened: the range must lie inside it, and a file that reports a size of 0 but has content
     * (a /proc or /sys style file) is refused, since mapping it would show nothing.
     *
     * @param length bytes to stream, or -1 for "to the end of the file"
     */
    long resolveEnd(long offset, long length) throws IOException {
        if (size == 0 && looksLikePseudoFile(channel())) {
            throw new FileSystemException(path.toString(), null,
                    "reports a size of 0 but has content (a /proc or /sys style file): it cannot be mapped; "
                            + "read it with Files.readAllBytes or a FileChannel instead");
        }
        if (offset > size) {
            throw new EOFException("offset " + offset + " lies past the end of " + path + " (size " + size
                    + " bytes); use an offset between 0 and " + size);
        }
        if (length < 0) {
            return size;
        }
        if (length > size - offset) {
            throw new EOFException("range [" + offset + ", " + (offset + length) + ") of " + length + " bytes lies past the end of "
                    + path + " (size " + size + " bytes); request at most " + (size - offset) + " bytes from offset " + offset);
        }
        return offset + length;
    }

    private static boolean looksLikePseudoFile(FileChannel channel) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        return withInterruptSetAside(() -> channel.read(one, 0)) > 0;
    }

    /** Opens a regular file for reading, with errors that say what is wrong and what to do. */
    static SharedFile open(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            // Checked before opening: opening a FIFO blocks until a writer appears.
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "cannot map: no such file; check the path (resolved against "
                    + Path.of("").toAbsolutePath() + ")");
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(path.toString(), null, "cannot map: permission denied reading its attributes");
        }
        if (attrs.isDirectory()) {
            throw new FileSystemException(path.toString(), null, "cannot map a directory; name a regular file inside it");
        }
        if (!attrs.isRegularFile()) {
            throw new FileSystemException(path.toString(), null,
                    "cannot map: not a regular file (a FIFO, socket or device, whose size is not known in advance); "
                            + "only regular files can be mapped, read this one with a stream instead");
        }
        if (NativeAccess.mappingAvailable()) {
            return openDescriptor(path);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(path.toString(), null, "cannot map: permission denied opening it for reading");
        } catch (FileSystemException e) {
            if (e.getReason() != null && e.getReason().contains("Too many open files")) {
                throw (FileSystemException) tooManyOpenFiles(path, !e.getReason().contains("system")).initCause(e);
            }
            throw e;
        }
        try {
            // The path may have been swapped between the check and the open: check what we actually opened.
            if (!Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isSymbolicLink()
                    && !Files.isRegularFile(path)) {
                throw new FileSystemException(path.toString(), null, "cannot map: no longer a regular file");
            }
            return new SharedFile(path, channel, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /**
     * Opens {@code path} as a bare descriptor, so windows are mapped with {@code mmap} (which no interrupt can break)
     * and the type and size come from the descriptor itself: what is checked is what is mapped.
     */
    private static SharedFile openDescriptor(Path path) throws IOException {
        int fd = NativeAccess.openReadOnly(path.toAbsolutePath().toString());
        if (fd < 0) {
            if (fd == -NativeAccess.EACCES) {
                throw new AccessDeniedException(path.toString(), null, "cannot map: permission denied opening it for reading");
            }
            if (fd == -NativeAccess.ENOENT || fd == -NativeAccess.ENOTDIR) {
                throw new NoSuchFileException(path.toString(), null, "cannot map: it disappeared while being opened");
            }
            if (fd == -NativeAccess.EMFILE || fd == -NativeAccess.ENFILE) {
                throw tooManyOpenFiles(path, fd == -NativeAccess.EMFILE);
            }
            throw new FileSystemException(path.toString(), null, "cannot map: open failed with errno " + (-fd));
        }
        try {
            NativeAccess.FileStat stat = NativeAccess.fstat(fd);
            if (stat == null) {
                throw new FileSystemException(path.toString(), null, "cannot map: its attributes could not be read once open");
            }
            if (!stat.isRegularFile()) {
                throw new FileSystemException(path.toString(), null, "cannot map: no longer a regular file");
            }
            return new SharedFile(path, fd, stat.size());
        } catch (IOException | RuntimeException e) {
            NativeAccess.closeFd(fd);
            throw e;
        }
    }

    /**
     * The error for a file that cannot be opened because the process (EMFILE) or the system (ENFILE) has no descriptor
     * left: every subscription that opens its file holds one descriptor until it terminates.
     */
    static FileSystemException tooManyOpenFiles(Path path, boolean processLimit) {
        return new FileSystemException(path.toString(), null, "cannot map: too many open files ("
                + (processLimit ? "EMFILE: the process limit, ulimit -n" : "ENFILE: the system-wide limit, fs.file-max")
                + "). Each subscription of MappedFile.windows(path, ...) holds a descriptor until it terminates; "
                + "for many concurrent readers of one file, open a FileChannel once and use "
                + "MappedFile.windows(channel, path, offset, length, options), or raise the limit");
    }

    /** A channel the caller opened and keeps: never closed here, whatever the count. */
    static SharedFile borrow(Path path, FileChannel channel) throws IOException {
        if (!channel.isOpen()) {
            throw new FileSystemException(path.toString(), null, "cannot map: the channel it was given is closed; keep the "
                    + "channel open until the windows' Flux terminates");
        }
        return new SharedFile(path, channel, withInterruptSetAside(channel::size), true);
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

    @Override
    String whenZero() {
        return "already closed";
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
