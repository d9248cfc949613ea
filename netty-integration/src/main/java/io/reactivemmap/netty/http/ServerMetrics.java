package io.reactivemmap.netty.http;

/**
 * What a {@link FileServer} tells its meters, free of any metrics library: the server calls these methods, on its
 * event loops, as things happen; {@link #NONE} (the default) ignores them, and {@link MicrometerServerMetrics} (the
 * only class of this module that imports Micrometer, used when the admin port is on) counts them. Each method must be
 * cheap and must not throw: it runs on the path of every request.
 */
interface ServerMetrics {
    /** Counts nothing: a server with no admin port. */
    ServerMetrics NONE = new ServerMetrics() {
        @Override
        public String toString() {
            return "ServerMetrics.NONE";
        }
    };

    /** Why {@link ConnectionGuard} closed a connection; {@link #tag()} is the value of the meter's {@code kind} tag. */
    enum Timeout {
        /** No request and no response in progress for {@code idleTimeout}. */
        IDLE("idle"),
        /** A request head not complete within {@code requestHeadTimeout} of its first byte (a {@code 408}). */
        REQUEST_HEAD("request_head"),
        /** A client that read fewer than {@code minRate} bytes per second over a {@code minRatePeriod}. */
        MIN_RATE("min_rate");

        private final String tag;

        Timeout(String tag) {
            this.tag = tag;
        }

        /** The tag value: {@code idle}, {@code request_head} or {@code min_rate}. */
        String tag() {
            return tag;
        }
    }

    /**
     * A request was answered and its response has ended (completely or not): one call per access-log record.
     *
     * @param status   the response's status code
     * @param protocol {@code HTTP/1.1}, {@code HTTP/1.0} or {@code HTTP/2}
     */
    default void requestDone(int status, String protocol) {
    }

    /** {@code bytes} more were written to a client's socket (response heads and bodies, framing and TLS included). */
    default void bytesSent(long bytes) {
    }

    /** A client connection was accepted (it may still be refused for exceeding {@code maxConnections}). */
    default void connectionOpened() {
    }

    /** A connection {@link #connectionOpened() opened} has closed. */
    default void connectionClosed() {
    }

    /** An HTTP/2 stream was opened by a client. */
    default void streamOpened() {
    }

    /** An HTTP/2 stream {@link #streamOpened() opened} has closed. */
    default void streamClosed() {
    }

    /** {@link ConnectionGuard} closed a connection for {@code kind}. */
    default void timedOut(Timeout kind) {
    }

    /** A TLS handshake ended: {@code succeeded}, or failed (a bad handshake, or a connection closed during it). */
    default void tlsHandshake(boolean succeeded) {
    }
}
