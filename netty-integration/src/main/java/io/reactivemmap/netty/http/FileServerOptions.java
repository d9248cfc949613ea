package io.reactivemmap.netty.http;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingBudget;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of a {@link FileServer}. Start from {@link #defaults(Path)} and change what you need with the
 * {@code withX} methods.
 *
 * @param root the directory served
 * @param host the address to bind ({@code 127.0.0.1} by default: exposing a file server is a decision)
 * @param port the port to bind; 0 picks a free one ({@link FileServer#port()} tells which)
 * @param tls TLS, or {@code null} for plain HTTP
 * @param windowSize bytes per mapped window in {@link BodyMode#MAPPED} (and under TLS); the largest window of an HTTP/2
 *                   stream, whose windows follow the client's flow-control window (see {@code Http2Server})
 * @param maxBytesInFlight bytes of mapped windows written to a connection and not yet sent, per response body (per
 *                         HTTP/1.1 connection, per HTTP/2 stream)
 * @param bodyMode how bytes reach the socket
 * @param maxConnections connections served at once; more get {@code 503} and are closed
 * @param idleTimeout a connection with no request and no response in progress for this long is closed
 * @param minRate bytes per second a client must read while a response is being sent ...
 * @param minRatePeriod ... measured over periods of this length; slower clients are disconnected. 0 turns the check off
 * @param rangeLimits limits against range abuse
 * @param followSymlinksOutside whether symbolic links may lead outside the root
 * @param serveHidden whether names starting with a dot are served
 * @param statsEndpoint whether {@code GET /_stats} answers with live windows, mapped bytes and connections (JSON)
 * @param ioThreads event-loop threads; 0 means one per available processor (nginx's {@code worker_processes auto}; half
 *                  Netty's default: an event loop here never blocks on anything but the page cache, and fewer threads
 *                  than Netty's twice-the-cores switch less: +3..6% requests/s for 64 KiB files on 2 cores)
 * @param preferNativeTransport use epoll when it is available (otherwise NIO)
 * @param requestHeadTimeout a client must complete a request's head (request line and headers) within this time of
 *                           sending its first byte; one that trickles it more slowly is disconnected
 * @param http2 whether HTTP/2 is served besides HTTP/1.1: over TLS when the client offers {@code h2} in ALPN, on plain
 *              connections when the client starts with the HTTP/2 connection preface ({@code h2c} with prior knowledge).
 *              Clients that do neither get HTTP/1.1 exactly as with this off. HTTP/2 bodies are always mapped windows
 *              (or, up to 256 KiB, a copy): {@code sendfile} cannot frame bytes into DATA frames
 * @param maxConcurrentStreams HTTP/2 streams a client may have open at once on one connection (announced in
 *                             {@code SETTINGS_MAX_CONCURRENT_STREAMS}); each stream's body is bounded like one
 *                             HTTP/1.1 connection's ({@code maxBytesInFlight}), and all of them together by the
 *                             connection's limits below
 * @param maxBytesInFlightPerConnection bytes of mapped windows one connection may hold at once, all its bodies (HTTP/2
 *                                      streams) together; {@code >= 1}. A connection's windows count against a budget of
 *                                      its own inside {@code mappingBudget} ({@link MappingBudget#of(long, long,
 *                                      MappingBudget)}): a stream over it waits for the connection's own windows to be
 *                                      unmapped, in arrival order, and takes nothing from other connections meanwhile.
 *                                      One window is always allowed when the connection holds none
 * @param maxWindowsPerConnection windows one connection may hold mapped at once, all its bodies together; {@code >= 1}.
 *                                With the default 16, the default global budget (8191 windows) holds 511 connections
 *                                whose every stream is stalled before one more has to wait
 * @param budgetWaitTimeout how long a body may wait for a window when {@code mappingBudget} (not the connection's own
 *                          limits) is spent. A request still waiting then is answered {@code 503 Service Unavailable}
 *                          with {@code Retry-After} if nothing of its response was sent (its headers are sent with its
 *                          first window), over HTTP/1.1 and HTTP/2 alike; a body already started is cut short (HTTP/1.1:
 *                          the connection is closed; HTTP/2: the stream is reset), logged at {@code DEBUG}. Positive
 * @param mappingBudget the budget every mapped window of the server counts against, inside each connection's own;
 *                      {@link MappingBudget#global()} by default
 */
public record FileServerOptions(Path root, String host, int port, @Nullable TlsOptions tls, int windowSize,
                                long maxBytesInFlight, BodyMode bodyMode, int maxConnections, Duration idleTimeout,
                                long minRate, Duration minRatePeriod, RangeLimits rangeLimits,
                                boolean followSymlinksOutside, boolean serveHidden, boolean statsEndpoint, int ioThreads,
                                boolean preferNativeTransport, Duration requestHeadTimeout, boolean http2,
                                int maxConcurrentStreams, long maxBytesInFlightPerConnection, int maxWindowsPerConnection,
                                Duration budgetWaitTimeout, MappingBudget mappingBudget) {
    /** The default {@link #requestHeadTimeout()}: a request head is a few hundred bytes. */
    public static final Duration DEFAULT_REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(10);
    /** The default {@link #maxConcurrentStreams()}: the minimum RFC 9113 §6.5.2 recommends. */
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 100;
    /** The default {@link #maxBytesInFlightPerConnection()}: 32 MiB, four times one body's default. */
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT_PER_CONNECTION = 32L << 20;
    /** The default {@link #maxWindowsPerConnection()}. */
    public static final int DEFAULT_MAX_WINDOWS_PER_CONNECTION = 16;
    /** The default {@link #budgetWaitTimeout()}: long enough for a busy server's windows to turn over. */
    public static final Duration DEFAULT_BUDGET_WAIT_TIMEOUT = Duration.ofSeconds(5);

    public FileServerOptions {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(bodyMode, "bodyMode");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(minRatePeriod, "minRatePeriod");
        Objects.requireNonNull(rangeLimits, "rangeLimits");
        Objects.requireNonNull(requestHeadTimeout, "requestHeadTimeout");
        if (requestHeadTimeout.isNegative() || requestHeadTimeout.isZero()) {
            throw new IllegalArgumentException("requestHeadTimeout must be positive (got " + requestHeadTimeout + ")");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535 (got " + port + ")");
        }
        if (windowSize < 4096 || windowSize > MapOptions.MAX_WINDOW_SIZE) {
            throw new IllegalArgumentException("windowSize must be 4096-" + MapOptions.MAX_WINDOW_SIZE + " bytes (got " + windowSize + ")");
        }
        if (maxBytesInFlight < 1) {
            throw new IllegalArgumentException("maxBytesInFlight must be >= 1 (got " + maxBytesInFlight + ")");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1 (got " + maxConnections + ")");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive (got " + idleTimeout + ")");
        }
        if (minRate < 0 || minRatePeriod.isNegative()) {
            throw new IllegalArgumentException("minRate and minRatePeriod must be >= 0 (got " + minRate + ", " + minRatePeriod + ")");
        }
        if (ioThreads < 0) {
            throw new IllegalArgumentException("ioThreads must be >= 0 (got " + ioThreads + ")");
        }
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams must be >= 1 (got " + maxConcurrentStreams + ")");
        }
        if (maxBytesInFlightPerConnection < 1) {
            throw new IllegalArgumentException("maxBytesInFlightPerConnection must be >= 1 (got " + maxBytesInFlightPerConnection
                    + "); one window is always allowed when a connection holds none, so a small value means one window at a time");
        }
        if (maxWindowsPerConnection < 1) {
            throw new IllegalArgumentException("maxWindowsPerConnection must be >= 1 (got " + maxWindowsPerConnection
                    + "): a connection needs a window to send a mapped body");
        }
        Objects.requireNonNull(budgetWaitTimeout, "budgetWaitTimeout");
        if (budgetWaitTimeout.isNegative() || budgetWaitTimeout.isZero()) {
            throw new IllegalArgumentException("budgetWaitTimeout must be positive (got " + budgetWaitTimeout + ")");
        }
        Objects.requireNonNull(mappingBudget, "mappingBudget");
        if (tls != null && bodyMode == BodyMode.SENDFILE) {
            throw new IllegalArgumentException("bodyMode SENDFILE cannot be used with TLS (the TLS engine needs the bytes "
                    + "as buffers); use AUTO or MAPPED");
        }
    }

    /**
     * All options but the connection limits and the budget, which are {@link #DEFAULT_MAX_BYTES_IN_FLIGHT_PER_CONNECTION},
     * {@link #DEFAULT_MAX_WINDOWS_PER_CONNECTION}, {@link #DEFAULT_BUDGET_WAIT_TIMEOUT} and {@link MappingBudget#global()}.
     */
    public FileServerOptions(Path root, String host, int port, @Nullable TlsOptions tls, int windowSize,
                             long maxBytesInFlight, BodyMode bodyMode, int maxConnections, Duration idleTimeout,
                             long minRate, Duration minRatePeriod, RangeLimits rangeLimits,
                             boolean followSymlinksOutside, boolean serveHidden, boolean statsEndpoint, int ioThreads,
                             boolean preferNativeTransport, Duration requestHeadTimeout, boolean http2,
                             int maxConcurrentStreams) {
        this(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate,
                minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads,
                preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams,
                DEFAULT_MAX_BYTES_IN_FLIGHT_PER_CONNECTION, DEFAULT_MAX_WINDOWS_PER_CONNECTION, DEFAULT_BUDGET_WAIT_TIMEOUT,
                MappingBudget.global());
    }

    /** All options but HTTP/2, which is on with {@link #DEFAULT_MAX_CONCURRENT_STREAMS}, and the connection limits. */
    public FileServerOptions(Path root, String host, int port, @Nullable TlsOptions tls, int windowSize,
                             long maxBytesInFlight, BodyMode bodyMode, int maxConnections, Duration idleTimeout,
                             long minRate, Duration minRatePeriod, RangeLimits rangeLimits,
                             boolean followSymlinksOutside, boolean serveHidden, boolean statsEndpoint, int ioThreads,
                             boolean preferNativeTransport, Duration requestHeadTimeout) {
        this(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate,
                minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads,
                preferNativeTransport, requestHeadTimeout, true, DEFAULT_MAX_CONCURRENT_STREAMS);
    }

    /**
     * All options but {@link #requestHeadTimeout()}, which is {@link #DEFAULT_REQUEST_HEAD_TIMEOUT}, HTTP/2 (on) and the
     * connection limits.
     */
    public FileServerOptions(Path root, String host, int port, @Nullable TlsOptions tls, int windowSize,
                             long maxBytesInFlight, BodyMode bodyMode, int maxConnections, Duration idleTimeout,
                             long minRate, Duration minRatePeriod, RangeLimits rangeLimits,
                             boolean followSymlinksOutside, boolean serveHidden, boolean statsEndpoint, int ioThreads,
                             boolean preferNativeTransport) {
        this(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate,
                minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads,
                preferNativeTransport, DEFAULT_REQUEST_HEAD_TIMEOUT, true, DEFAULT_MAX_CONCURRENT_STREAMS);
    }

    /**
     * Serves {@code root} on 127.0.0.1:8080, plain HTTP, {@link BodyMode#AUTO}, 4 MiB windows, 8 MiB in flight per
     * body, 10,000 connections, 60 s idle timeout, at least 1 KiB/s over every 30 s while sending, 10 s to send a
     * request head, HTTP/2 on with 100 streams per connection, at most 32 MiB in 16 windows mapped per connection, 5 s
     * to wait for the global mapping budget.
     */
    public static FileServerOptions defaults(Path root) {
        return new FileServerOptions(root, "127.0.0.1", 8080, null, 4 << 20, 8L << 20, BodyMode.AUTO, 10_000,
                Duration.ofSeconds(60), 1024, Duration.ofSeconds(30), RangeLimits.DEFAULT, false, false, false, 0, true,
                DEFAULT_REQUEST_HEAD_TIMEOUT, true, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_BYTES_IN_FLIGHT_PER_CONNECTION,
                DEFAULT_MAX_WINDOWS_PER_CONNECTION, DEFAULT_BUDGET_WAIT_TIMEOUT, MappingBudget.global());
    }

    public FileServerOptions withHost(String host) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withPort(int port) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withTls(@Nullable TlsOptions tls) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withWindowSize(int windowSize) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withMaxBytesInFlight(long maxBytesInFlight) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withBodyMode(BodyMode bodyMode) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withMaxConnections(int maxConnections) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withIdleTimeout(Duration idleTimeout) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    /** Clients reading fewer than {@code bytesPerSecond} over a {@code period} while a response is sent are dropped. */
    public FileServerOptions withMinRate(long bytesPerSecond, Duration period) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, bytesPerSecond, period, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withRangeLimits(RangeLimits rangeLimits) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withFollowSymlinksOutside(boolean on) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, on, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withServeHidden(boolean on) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, on, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withStatsEndpoint(boolean on) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, on, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withIoThreads(int ioThreads) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withPreferNativeTransport(boolean on) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, on, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withRequestHeadTimeout(Duration requestHeadTimeout) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    /** HTTP/2 on or off (see {@link #http2()}). */
    public FileServerOptions withHttp2(boolean on) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, on, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withMaxConcurrentStreams(int maxConcurrentStreams) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withMaxBytesInFlightPerConnection(long bytes) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, bytes, maxWindowsPerConnection, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withMaxWindowsPerConnection(int windows) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, windows, budgetWaitTimeout, mappingBudget);
    }

    public FileServerOptions withBudgetWaitTimeout(Duration timeout) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, timeout, mappingBudget);
    }

    /** The budget the server's windows count against (a private one, to give the server its own limit). */
    public FileServerOptions withMappingBudget(MappingBudget budget) {
        return new FileServerOptions(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout, minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, statsEndpoint, ioThreads, preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection, maxWindowsPerConnection, budgetWaitTimeout, budget);
    }

    /** Whether responses on this server use mapped windows (true) or sendfile (false). */
    boolean usesMappedWindows() {
        return bodyMode == BodyMode.MAPPED || (bodyMode == BodyMode.AUTO && tls != null);
    }
}
