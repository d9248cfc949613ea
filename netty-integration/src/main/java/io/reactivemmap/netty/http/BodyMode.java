package io.reactivemmap.netty.http;

/** How a file's bytes reach the socket. */
public enum BodyMode {
    /**
     * The default. Plain HTTP/1.1: bodies up to 64 KiB are read with one {@code pread} into a pooled buffer and
     * written with the headers (fewer system calls than {@code sendfile}, and no {@code FileChannel} at all),
     * larger ones go by {@code sendfile} ({@code DefaultFileRegion}). Under TLS and HTTP/2, where bytes pass through
     * user space anyway: bodies up to 256 KiB are copied the same way, larger ones are sent as mapped windows. The
     * thresholds come from {@code benchmarks/http} (see docs/http-benchmarks.md).
     */
    AUTO,
    /** Always {@code sendfile}. Not possible under TLS: a server with TLS rejects this mode at start-up. */
    SENDFILE,
    /** Always mapped windows, written as zero-copy buffers with a per-connection byte bound. */
    MAPPED
}
