package io.reactivemmap.netty.http;

/** How a file's bytes reach the socket. */
public enum BodyMode {
    /**
     * {@code sendfile} ({@code DefaultFileRegion}) on plain connections, mapped windows under TLS, where the bytes must
     * pass through the TLS engine as buffers anyway.
     */
    AUTO,
    /** Always {@code sendfile}. Not possible under TLS: a server with TLS rejects this mode at start-up. */
    SENDFILE,
    /** Always mapped windows, written as zero-copy buffers with a per-connection byte bound. */
    MAPPED
}
