package io.reactivemmap.netty;

/**
 * How {@link ChannelBodyWriter} bounds one connection: in bytes, not in items, because one item may be a 16 MiB
 * window.
 *
 * <p>Defaults (2 MiB in flight, 1 MiB per write): two writes queued in Netty keep a socket busy on loopback and on
 * real networks alike (the kernel's own send buffer holds more), while a slow client pins at most about 2 MiB of
 * outbound data in Netty plus what the source keeps mapped ({@link io.reactivemmap.MapOptions#maxLiveBytes()}).
 * 1 MiB writes keep the per-write cost negligible and let handlers that process each write ({@code SslHandler},
 * HTTP/2 framing) work on bounded pieces. Change them with the {@code with...} methods.
 *
 * @param maxBytesInFlight bytes written to the channel whose write has not completed yet (queued in Netty's outbound
 *                         buffer, or being written to the socket), per body; {@code >= 1}. The writer asks its
 *                         source for the next buffer, and writes the next piece of a large one, only while fewer are
 *                         in flight (and the channel is writable); with nothing in flight it always writes one
 *                         piece, so a budget smaller than a piece still makes progress
 * @param maxChunkSize the largest single write, {@code >= 1}; larger buffers are written as retained slices of at
 *                     most this many bytes (one mapping, several writes)
 * @param dropWrittenPages remove the written pages of a mapped window ({@link MappedByteBufs}) from this process's
 *                     page tables ({@code madvise(MADV_DONTNEED)}; the page cache keeps them, a later reader of the
 *                     same window faults them in again from there) once the window has been written for 100 ms,
 *                     and from then on as the transport reports progress: a slow download then holds almost nothing
 *                     resident instead of everything sent of its window (the pages the kernel copied into the socket
 *                     count in the process's RSS until unmapped), while a fast one, whose window is unmapped within
 *                     milliseconds anyway, pays nothing. Progress reaches the writer through handlers that pass its
 *                     promise on (an HTTP encoder does; an {@code SslHandler} does not: under TLS pages go when each
 *                     piece completes).
 *                     Never applies to buffers that are not mapped windows (on other memory it would discard data).
 *                     Off by default.
 */
public record WriteOptions(long maxBytesInFlight, int maxChunkSize, boolean dropWrittenPages) {
    private static final WriteOptions DEFAULTS = new WriteOptions(2L << 20, 1 << 20, false);

    /** Checks that {@code maxBytesInFlight} and {@code maxChunkSize} are at least 1. */
    public WriteOptions {
        if (maxBytesInFlight < 1) {
            throw new IllegalArgumentException("maxBytesInFlight must be at least 1 byte (got " + maxBytesInFlight
                    + "); one piece is always written when nothing is in flight, so a small value means one write at a time");
        }
        if (maxChunkSize < 1) {
            throw new IllegalArgumentException("maxChunkSize must be at least 1 byte (got " + maxChunkSize + ")");
        }
    }

    /** Without dropping written pages. */
    public WriteOptions(long maxBytesInFlight, int maxChunkSize) {
        this(maxBytesInFlight, maxChunkSize, false);
    }

    /** 2 MiB in flight, 1 MiB per write, written pages kept until the window is unmapped. */
    public static WriteOptions defaults() {
        return DEFAULTS;
    }

    /** These options with {@link #maxBytesInFlight()} set to {@code bytes} (at least 1). */
    public WriteOptions withMaxBytesInFlight(long bytes) {
        return new WriteOptions(bytes, maxChunkSize, dropWrittenPages);
    }

    /** These options with {@link #maxChunkSize()} set to {@code bytes} (at least 1). */
    public WriteOptions withMaxChunkSize(int bytes) {
        return new WriteOptions(maxBytesInFlight, bytes, dropWrittenPages);
    }

    /** These options with {@link #dropWrittenPages()} on or off. */
    public WriteOptions withDropWrittenPages(boolean drop) {
        return new WriteOptions(maxBytesInFlight, maxChunkSize, drop);
    }
}
