package io.reactivemmap.netty.http;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.WriteOptions;

/**
 * The body senders of one server: the one HTTP/1.1 responses use and the one HTTP/2 streams use. Whatever sends a
 * body or reports how bodies are sent ({@code /_stats}, the start-up line) takes them from here.
 *
 * @param http1 for HTTP/1.1 responses
 * @param http2 for HTTP/2 streams: never {@code sendfile}
 */
record BodySenders(BodySender http1, BodySender http2) {
    private static final int PIECE = 1 << 20;

    /**
     * The senders {@code options} call for. Small bodies are copied with one {@code pread} ({@link SmallBodySender})
     * where the bytes must pass through the process anyway, since a mapping's fixed cost exceeds a copy of a few pages;
     * large ones go as mapped windows ({@link MappedBodySender}) or by {@code sendfile} ({@link SendfileBodySender}).
     * <ul>
     * <li>HTTP/1.1 under TLS, whatever the {@link BodyMode}: copied up to {@value SmallBodySender#DEFAULT_THRESHOLD}
     *     bytes, larger mapped (the TLS engine needs the bytes as buffers; {@code SENDFILE} with TLS is refused by
     *     {@link FileServerOptions.Builder#build()}).</li>
     * <li>HTTP/1.1 plain, {@link BodyMode#AUTO}: up to {@value SmallBodySender#PLAIN_THRESHOLD} bytes by a corked
     *     {@code sendfile} from the descriptor (or the copy when that cannot be used), larger by {@code sendfile}.</li>
     * <li>HTTP/1.1 plain, {@link BodyMode#SENDFILE}: every body by {@code sendfile}, never a copy.</li>
     * <li>HTTP/1.1 plain, {@link BodyMode#MAPPED}: every body mapped, never a copy.</li>
     * <li>HTTP/2, plain or TLS: {@code sendfile} cannot put bytes into DATA frames, so {@code AUTO} and
     *     {@code SENDFILE} copy up to {@value SmallBodySender#DEFAULT_THRESHOLD} bytes and map larger bodies;
     *     {@code MAPPED} maps every body, as on HTTP/1.1.</li>
     * </ul>
     * Both protocols share one mapped sender ({@link #mapOptions}, {@link #writeOptions}).
     */
    static BodySenders of(FileServerOptions options) {
        BodySender mapped = new MappedBodySender(mapOptions(options), writeOptions(options));
        BodySender http1 = options.tls() != null ? new SmallBodySender(SmallBodySender.DEFAULT_THRESHOLD, mapped)
                : switch (options.bodyMode()) {
                    case AUTO -> new SmallBodySender(SmallBodySender.PLAIN_THRESHOLD, new SendfileBodySender(), true);
                    case SENDFILE -> new SendfileBodySender();
                    case MAPPED -> mapped;
                };
        BodySender http2 = options.bodyMode() == BodyMode.MAPPED ? mapped
                : new SmallBodySender(SmallBodySender.DEFAULT_THRESHOLD, mapped);
        return new BodySenders(http1, http2);
    }

    /** How a server's bodies are mapped: windows of {@link FileServerOptions#windowSize()}, nothing mapped ahead. */
    static MapOptions mapOptions(FileServerOptions options) {
        // Two windows per body at most: the one being written and the next. The writer's byte bound keeps the
        // in-flight part below maxBytesInFlight; this bounds what the source maps ahead of it.
        long live = Math.max(2L * options.windowSize(), options.maxBytesInFlight());
        // No populate-ahead: the network paces a response, so faulting a whole window in the moment it is read ahead
        // only pins pages long before they are sent. With 1,000 slow downloads it took the server's RSS to 6.8 GiB
        // (every mapped byte resident); without it only the pages already sent are (benchmarks/http/slow-clients.sh).
        // No read-ahead either: the writer asks for the next window while the current one is still being sent, which
        // is read-ahead enough, and only while the peer takes bytes, so a client that stops reading holds one window,
        // not two. Each connection's windows count against a budget of its own inside the server's (ConnectionBudget);
        // a body waits budgetWaitTimeout at most for the server's.
        return MapOptions.defaults().withWindowSize(options.windowSize()).withMaxLiveBytes(live).withPopulateAhead(false)
                .withReadAhead(0).withBudget(options.mappingBudget()).withBudgetWaitTimeout(options.budgetWaitTimeout());
    }

    /** How a server's mapped windows are written: {@link FileServerOptions#maxBytesInFlight()}, 1 MiB pieces. */
    static WriteOptions writeOptions(FileServerOptions options) {
        // 1 MiB pieces; a slow reader's written pages are dropped as the socket takes them (1,000 slow downloads:
        // RSS 185 MiB, against 2.8 GiB when they stayed until the window was unmapped; docs/http-benchmarks.md).
        return new WriteOptions(options.maxBytesInFlight(), Math.min(options.windowSize(), PIECE), true);
    }
}
