package io.reactivemmap;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * An open file shared by one subscription and the windows it mapped. The subscription holds one reference and
 * each live window one more, so the channel stays open (and {@link #currentSize()} can ask the inode we mapped,
 * not whatever the path names now) until the last window is unmapped. A mapping stays valid after its channel
 * is closed; the channel is kept only for the truncation checks.
 */
final class SharedFile {
    private static final VarHandle REFS;

    static {
        try {
            REFS = MethodHandles.lookup().findVarHandle(SharedFile.class, "refs", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Path path;
    final FileChannel channel;
    /** The size taken at subscription: nothing past it is ever mapped. */
    final long size;
    /** Whether the channel belongs to the caller ({@link MappedFile#windows(FileChannel, Path, long, long, MapOptions)}). */
    private final boolean borrowed;
    @SuppressWarnings("unused") // via REFS
    private volatile int refs = 1;

    SharedFile(Path path, FileChannel channel, long size) {
        this(path, channel, size, false);
    }

    SharedFile(Path path, FileChannel channel, long size, boolean borrowed) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.borrowed = borrowed;
    }

    void retain() {
        REFS.getAndAdd(this, 1);
    }

    void release() {
        if ((int) REFS.getAndAdd(this, -1) == 1 && !borrowed) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing a read-only channel has nothing to flush; nothing useful to report
            }
        }
    }

    /** The file's size now, or -1 if it cannot be read (treated as "unknown", not as truncated). */
    long currentSize() {
        try {
            return channel.size();
        } catch (IOException e) {
            return -1;
        }
    }
}
