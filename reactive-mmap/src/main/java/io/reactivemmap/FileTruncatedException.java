package io.reactivemmap;

import io.reactivemmap.internal.Metrics;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The file shrank while it was being streamed: the bytes of a window lie (partly) past the file's new end.
 *
 * <p>Signalled through {@code onError} by the sources of {@link MappedFile}; no byte past the new end is emitted
 * as data before it. Streaming a file that another process rewrites in place is a race no mapping can win:
 * write a new file and rename it over the old one instead, so readers keep the old inode.
 */
public final class FileTruncatedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path path;
    private final long offset;
    private final long expectedSize;
    private final long observedSize;

    /** An exception whose message names the file, both sizes and the offset, and says how to avoid it. */
    public FileTruncatedException(Path path, long offset, long expectedSize, long observedSize) {
        super(path + " was truncated while streaming: expected " + expectedSize + " bytes (as when the stream started), found "
                + observedSize + ", while reading at offset " + offset
                + "; replace files atomically (write a new file, then rename it over the old one) instead of rewriting them in place");
        this.path = path;
        this.offset = offset;
        this.expectedSize = expectedSize;
        this.observedSize = observedSize;
        Metrics.TRUNCATIONS.increment();
    }

    /** The file that shrank. */
    public Path path() {
        return path;
    }

    /** The file offset of the window that could no longer be read. */
    public long offset() {
        return offset;
    }

    /** The size taken when the stream was subscribed. */
    public long expectedSize() {
        return expectedSize;
    }

    /** The size found when the truncation was detected. */
    public long observedSize() {
        return observedSize;
    }
}
