package io.reactivemmap.netty.http;

/** How a file's bytes reach the socket. */
public enum BodyMode {
    /**
     * The default. Plain HTTP/1.1 on epoll: a body up to 64 KiB goes with {@code sendfile(2)} straight from the
     * descriptor the server opened, headers and body corked into one push (no {@code FileChannel}, no copy; a
     * {@code pread} copy when the body has several parts), larger ones by
     * {@code sendfile} through {@code DefaultFileRegion}. Under TLS and HTTP/2, where bytes pass through
     * user space anyway: bodies up to 256 KiB are copied the same way, larger ones are sent as mapped windows. The
     * thresholds come from {@code benchmarks/http} (see docs/http-benchmarks.md).
     */
    AUTO,
    /** Always {@code sendfile}. Not possible under TLS: a server with TLS rejects this mode at start-up. */
    SENDFILE,
    /** Always mapped windows, written as zero-copy buffers with a per-connection byte bound. */
    MAPPED;

    /**
     * Bodies with at most this many bytes of file (256 KiB) are copied from the checked descriptor rather than mapped,
     * wherever a front end would otherwise map them (under TLS and HTTP/2 in {@link #AUTO}, in {@link #MAPPED} over
     * plain HTTP/1.1, in the WebFlux handler): the fixed cost of a mapping ({@code mmap}, {@code munmap}, the
     * shared-arena close) is larger than copying a few pages.
     */
    public static final long COPIED_AT_MOST = 256 << 10;
}
