package io.reactivemmap.netty.http;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingBudget;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Configuration of a {@link FileServer}; immutable. Build one with {@link #builder(Path)}, one setter per option:
 *
 * <pre>{@code
 * FileServerOptions options = FileServerOptions.builder(Path.of("public")).port(0).tls(TlsOptions.selfSigned()).build();
 * }</pre>
 *
 * or start from {@link #defaults(Path)} and change single options with the {@code withX} methods (each a new
 * instance). {@link #toBuilder()} gives a builder holding every option of an instance. The options are documented on
 * the {@link Builder}'s setters; invalid values fail at {@link Builder#build()} with a message naming the option.
 */
public final class FileServerOptions {
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
    /** The {@link #adminPort()} that means no admin port (the default). */
    public static final int ADMIN_OFF = -1;

    private final Path root;
    private final String host;
    private final int port;
    private final @Nullable TlsOptions tls;
    private final int windowSize;
    private final long maxBytesInFlight;
    private final BodyMode bodyMode;
    private final int maxConnections;
    private final Duration idleTimeout;
    private final long minRate;
    private final Duration minRatePeriod;
    private final RangeLimits rangeLimits;
    private final boolean followSymlinksOutside;
    private final boolean serveHidden;
    private final String adminHost;
    private final int adminPort;
    private final int ioThreads;
    private final boolean preferNativeTransport;
    private final Duration requestHeadTimeout;
    private final boolean http2;
    private final int maxConcurrentStreams;
    private final long maxBytesInFlightPerConnection;
    private final int maxWindowsPerConnection;
    private final Duration budgetWaitTimeout;
    private final MappingBudget mappingBudget;
    private final CacheRules cacheRules;
    private final boolean precompressed;
    private final boolean directoryListings;

    /** Validates {@code b} (see {@link Builder#build()}) and copies it. */
    private FileServerOptions(Builder b) {
        Objects.requireNonNull(b.root, "root");
        Objects.requireNonNull(b.host, "host");
        Objects.requireNonNull(b.bodyMode, "bodyMode");
        Objects.requireNonNull(b.idleTimeout, "idleTimeout");
        Objects.requireNonNull(b.minRatePeriod, "minRatePeriod");
        Objects.requireNonNull(b.rangeLimits, "rangeLimits");
        Objects.requireNonNull(b.requestHeadTimeout, "requestHeadTimeout");
        if (b.requestHeadTimeout.isNegative() || b.requestHeadTimeout.isZero()) {
            throw new IllegalArgumentException("requestHeadTimeout must be positive (got " + b.requestHeadTimeout + ")");
        }
        if (b.port < 0 || b.port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535 (got " + b.port + ")");
        }
        Objects.requireNonNull(b.adminHost, "adminHost");
        if (b.adminPort < ADMIN_OFF || b.adminPort > 65535) {
            throw new IllegalArgumentException("adminPort must be 0-65535, or -1 for no admin port (got " + b.adminPort + ")");
        }
        if (b.windowSize < 4096 || b.windowSize > MapOptions.MAX_WINDOW_SIZE) {
            throw new IllegalArgumentException("windowSize must be 4096-" + MapOptions.MAX_WINDOW_SIZE + " bytes (got " + b.windowSize + ")");
        }
        if (b.maxBytesInFlight < 1) {
            throw new IllegalArgumentException("maxBytesInFlight must be >= 1 (got " + b.maxBytesInFlight + ")");
        }
        if (b.maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1 (got " + b.maxConnections + ")");
        }
        if (b.idleTimeout.isNegative() || b.idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive (got " + b.idleTimeout + ")");
        }
        if (b.minRate < 0 || b.minRatePeriod.isNegative()) {
            throw new IllegalArgumentException("minRate and minRatePeriod must be >= 0 (got " + b.minRate + ", " + b.minRatePeriod + ")");
        }
        if (b.ioThreads < 0) {
            throw new IllegalArgumentException("ioThreads must be >= 0 (got " + b.ioThreads + ")");
        }
        if (b.maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams must be >= 1 (got " + b.maxConcurrentStreams + ")");
        }
        if (b.maxBytesInFlightPerConnection < 1) {
            throw new IllegalArgumentException("maxBytesInFlightPerConnection must be >= 1 (got " + b.maxBytesInFlightPerConnection
                    + "); one window is always allowed when a connection holds none, so a small value means one window at a time");
        }
        if (b.maxWindowsPerConnection < 1) {
            throw new IllegalArgumentException("maxWindowsPerConnection must be >= 1 (got " + b.maxWindowsPerConnection
                    + "): a connection needs a window to send a mapped body");
        }
        Objects.requireNonNull(b.budgetWaitTimeout, "budgetWaitTimeout");
        if (b.budgetWaitTimeout.isNegative() || b.budgetWaitTimeout.isZero()) {
            throw new IllegalArgumentException("budgetWaitTimeout must be positive (got " + b.budgetWaitTimeout + ")");
        }
        Objects.requireNonNull(b.mappingBudget, "mappingBudget");
        Objects.requireNonNull(b.cacheRules, "cacheRules");
        if (b.tls != null && b.bodyMode == BodyMode.SENDFILE) {
            throw new IllegalArgumentException("bodyMode SENDFILE cannot be used with TLS (the TLS engine needs the bytes "
                    + "as buffers); use AUTO or MAPPED");
        }
        this.root = b.root;
        this.host = b.host;
        this.port = b.port;
        this.tls = b.tls;
        this.windowSize = b.windowSize;
        this.maxBytesInFlight = b.maxBytesInFlight;
        this.bodyMode = b.bodyMode;
        this.maxConnections = b.maxConnections;
        this.idleTimeout = b.idleTimeout;
        this.minRate = b.minRate;
        this.minRatePeriod = b.minRatePeriod;
        this.rangeLimits = b.rangeLimits;
        this.followSymlinksOutside = b.followSymlinksOutside;
        this.serveHidden = b.serveHidden;
        this.adminHost = b.adminHost;
        this.adminPort = b.adminPort;
        this.ioThreads = b.ioThreads;
        this.preferNativeTransport = b.preferNativeTransport;
        this.requestHeadTimeout = b.requestHeadTimeout;
        this.http2 = b.http2;
        this.maxConcurrentStreams = b.maxConcurrentStreams;
        this.maxBytesInFlightPerConnection = b.maxBytesInFlightPerConnection;
        this.maxWindowsPerConnection = b.maxWindowsPerConnection;
        this.budgetWaitTimeout = b.budgetWaitTimeout;
        this.mappingBudget = b.mappingBudget;
        this.cacheRules = b.cacheRules;
        this.precompressed = b.precompressed;
        this.directoryListings = b.directoryListings;
    }

    /**
     * A builder serving {@code root} with the defaults: 127.0.0.1:8080, plain HTTP, {@link BodyMode#AUTO}, 4 MiB
     * windows, 8 MiB in flight per body, 10,000 connections, 60 s idle timeout, at least 1 KiB/s over every 30 s while
     * sending, 10 s to send a request head, HTTP/2 on with 100 streams per connection, at most 32 MiB in 16 windows
     * mapped per connection, 5 s to wait for the global mapping budget; no symbolic links out of the root, no hidden
     * files, no admin port, no {@code Cache-Control}, no precompressed siblings, no directory listings, one
     * event-loop thread per processor, epoll when available.
     */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** The {@linkplain #builder(Path) defaults} for {@code root}: {@code builder(root).build()}. */
    public static FileServerOptions defaults(Path root) {
        return builder(root).build();
    }

    /** A builder holding every option of this instance, to change some and {@linkplain Builder#build() build} anew. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** The directory served; see {@link Builder#root(Path)}. */
    public Path root() {
        return root;
    }

    /** The address bound; see {@link Builder#host(String)}. */
    public String host() {
        return host;
    }

    /** The port bound, 0 for a free one; see {@link Builder#port(int)}. */
    public int port() {
        return port;
    }

    /** TLS, or {@code null} for plain HTTP; see {@link Builder#tls(TlsOptions)}. */
    public @Nullable TlsOptions tls() {
        return tls;
    }

    /** Bytes per mapped window; see {@link Builder#windowSize(int)}. */
    public int windowSize() {
        return windowSize;
    }

    /** Bytes of mapped windows in flight per response body; see {@link Builder#maxBytesInFlight(long)}. */
    public long maxBytesInFlight() {
        return maxBytesInFlight;
    }

    /** How bytes reach the socket; see {@link Builder#bodyMode(BodyMode)}. */
    public BodyMode bodyMode() {
        return bodyMode;
    }

    /** Connections served at once; see {@link Builder#maxConnections(int)}. */
    public int maxConnections() {
        return maxConnections;
    }

    /** How long a connection may be idle; see {@link Builder#idleTimeout(Duration)}. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Bytes per second a client must read while a response is sent; see {@link Builder#minRate(long)}. */
    public long minRate() {
        return minRate;
    }

    /** The period {@link #minRate()} is measured over, 0 for no check; see {@link Builder#minRatePeriod(Duration)}. */
    public Duration minRatePeriod() {
        return minRatePeriod;
    }

    /** Limits against range abuse; see {@link Builder#rangeLimits(RangeLimits)}. */
    public RangeLimits rangeLimits() {
        return rangeLimits;
    }

    /** Whether symbolic links may lead outside the root; see {@link Builder#followSymlinksOutside(boolean)}. */
    public boolean followSymlinksOutside() {
        return followSymlinksOutside;
    }

    /** The {@code Cache-Control} and {@code Expires} of file responses; see {@link Builder#cacheRules(CacheRules)}. */
    public CacheRules cacheRules() {
        return cacheRules;
    }

    /** Whether {@code name.br} and {@code name.gz} are served for {@code name}; see {@link Builder#precompressed(boolean)}. */
    public boolean precompressed() {
        return precompressed;
    }

    /** Whether names starting with a dot are served; see {@link Builder#serveHidden(boolean)}. */
    public boolean serveHidden() {
        return serveHidden;
    }

    /** The address the admin port binds; see {@link Builder#adminHost(String)}. */
    public String adminHost() {
        return adminHost;
    }

    /** The admin port, 0 for a free one, {@link #ADMIN_OFF} for none; see {@link Builder#adminPort(int)}. */
    public int adminPort() {
        return adminPort;
    }

    /** Event-loop threads, 0 for one per processor; see {@link Builder#ioThreads(int)}. */
    public int ioThreads() {
        return ioThreads;
    }

    /** Whether epoll is used when available; see {@link Builder#preferNativeTransport(boolean)}. */
    public boolean preferNativeTransport() {
        return preferNativeTransport;
    }

    /** The time a client has to send a request head; see {@link Builder#requestHeadTimeout(Duration)}. */
    public Duration requestHeadTimeout() {
        return requestHeadTimeout;
    }

    /** Whether HTTP/2 is served besides HTTP/1.1; see {@link Builder#http2(boolean)}. */
    public boolean http2() {
        return http2;
    }

    /** HTTP/2 streams a client may have open on one connection; see {@link Builder#maxConcurrentStreams(int)}. */
    public int maxConcurrentStreams() {
        return maxConcurrentStreams;
    }

    /**
     * Bytes of mapped windows one connection may hold at once; see {@link Builder#maxBytesInFlightPerConnection(long)}.
     */
    public long maxBytesInFlightPerConnection() {
        return maxBytesInFlightPerConnection;
    }

    /** Windows one connection may hold mapped at once; see {@link Builder#maxWindowsPerConnection(int)}. */
    public int maxWindowsPerConnection() {
        return maxWindowsPerConnection;
    }

    /** How long a body may wait for the mapping budget; see {@link Builder#budgetWaitTimeout(Duration)}. */
    public Duration budgetWaitTimeout() {
        return budgetWaitTimeout;
    }

    /** The budget every mapped window counts against; see {@link Builder#mappingBudget(MappingBudget)}. */
    public MappingBudget mappingBudget() {
        return mappingBudget;
    }

    /** These options with {@link Builder#host(String)}. */
    public FileServerOptions withHost(String host) {
        return toBuilder().host(host).build();
    }

    /** These options with {@link Builder#port(int)}. */
    public FileServerOptions withPort(int port) {
        return toBuilder().port(port).build();
    }

    /** These options with {@link Builder#tls(TlsOptions)}. */
    public FileServerOptions withTls(@Nullable TlsOptions tls) {
        return toBuilder().tls(tls).build();
    }

    /** These options with {@link Builder#windowSize(int)}. */
    public FileServerOptions withWindowSize(int windowSize) {
        return toBuilder().windowSize(windowSize).build();
    }

    /** These options with {@link Builder#maxBytesInFlight(long)}. */
    public FileServerOptions withMaxBytesInFlight(long maxBytesInFlight) {
        return toBuilder().maxBytesInFlight(maxBytesInFlight).build();
    }

    /** These options with {@link Builder#bodyMode(BodyMode)}. */
    public FileServerOptions withBodyMode(BodyMode bodyMode) {
        return toBuilder().bodyMode(bodyMode).build();
    }

    /** These options with {@link Builder#maxConnections(int)}. */
    public FileServerOptions withMaxConnections(int maxConnections) {
        return toBuilder().maxConnections(maxConnections).build();
    }

    /** These options with {@link Builder#idleTimeout(Duration)}. */
    public FileServerOptions withIdleTimeout(Duration idleTimeout) {
        return toBuilder().idleTimeout(idleTimeout).build();
    }

    /** Clients reading fewer than {@code bytesPerSecond} over a {@code period} while a response is sent are dropped. */
    public FileServerOptions withMinRate(long bytesPerSecond, Duration period) {
        return toBuilder().minRate(bytesPerSecond).minRatePeriod(period).build();
    }

    /** These options with {@link Builder#rangeLimits(RangeLimits)}. */
    public FileServerOptions withRangeLimits(RangeLimits rangeLimits) {
        return toBuilder().rangeLimits(rangeLimits).build();
    }

    /** These options with {@link Builder#followSymlinksOutside(boolean)}. */
    public FileServerOptions withFollowSymlinksOutside(boolean on) {
        return toBuilder().followSymlinksOutside(on).build();
    }

    /** Whether directories without an index are listed; see {@link Builder#directoryListings(boolean)}. */
    public boolean directoryListings() {
        return directoryListings;
    }

    /** These options with {@link Builder#directoryListings(boolean)}. */
    public FileServerOptions withDirectoryListings(boolean on) {
        return toBuilder().directoryListings(on).build();
    }

    /** These options with {@link Builder#precompressed(boolean)}. */
    public FileServerOptions withPrecompressed(boolean on) {
        return toBuilder().precompressed(on).build();
    }

    /** These options with {@link Builder#cacheRules(CacheRules)}. */
    public FileServerOptions withCacheRules(CacheRules cacheRules) {
        return toBuilder().cacheRules(cacheRules).build();
    }

    /** These options with {@link Builder#serveHidden(boolean)}. */
    public FileServerOptions withServeHidden(boolean on) {
        return toBuilder().serveHidden(on).build();
    }

    /** These options with {@link Builder#adminPort(int)}. */
    public FileServerOptions withAdminPort(int adminPort) {
        return toBuilder().adminPort(adminPort).build();
    }

    /** These options with {@link Builder#adminHost(String)}. */
    public FileServerOptions withAdminHost(String adminHost) {
        return toBuilder().adminHost(adminHost).build();
    }

    /** These options with {@link Builder#ioThreads(int)}. */
    public FileServerOptions withIoThreads(int ioThreads) {
        return toBuilder().ioThreads(ioThreads).build();
    }

    /** These options with {@link Builder#preferNativeTransport(boolean)}. */
    public FileServerOptions withPreferNativeTransport(boolean on) {
        return toBuilder().preferNativeTransport(on).build();
    }

    /** These options with {@link Builder#requestHeadTimeout(Duration)}. */
    public FileServerOptions withRequestHeadTimeout(Duration requestHeadTimeout) {
        return toBuilder().requestHeadTimeout(requestHeadTimeout).build();
    }

    /** HTTP/2 on or off (see {@link Builder#http2(boolean)}). */
    public FileServerOptions withHttp2(boolean on) {
        return toBuilder().http2(on).build();
    }

    /** These options with {@link Builder#maxConcurrentStreams(int)}. */
    public FileServerOptions withMaxConcurrentStreams(int maxConcurrentStreams) {
        return toBuilder().maxConcurrentStreams(maxConcurrentStreams).build();
    }

    /** These options with {@link Builder#maxBytesInFlightPerConnection(long)}. */
    public FileServerOptions withMaxBytesInFlightPerConnection(long bytes) {
        return toBuilder().maxBytesInFlightPerConnection(bytes).build();
    }

    /** These options with {@link Builder#maxWindowsPerConnection(int)}. */
    public FileServerOptions withMaxWindowsPerConnection(int windows) {
        return toBuilder().maxWindowsPerConnection(windows).build();
    }

    /** These options with {@link Builder#budgetWaitTimeout(Duration)}. */
    public FileServerOptions withBudgetWaitTimeout(Duration timeout) {
        return toBuilder().budgetWaitTimeout(timeout).build();
    }

    /** The budget the server's windows count against (a private one, to give the server its own limit). */
    public FileServerOptions withMappingBudget(MappingBudget budget) {
        return toBuilder().mappingBudget(budget).build();
    }

    /** Whether responses on this server use mapped windows (true) or sendfile (false). */
    boolean usesMappedWindows() {
        return bodyMode == BodyMode.MAPPED || (bodyMode == BodyMode.AUTO && tls != null);
    }

    /** Equal when every option is equal ({@link #mappingBudget()} and {@link #tls()} by their own {@code equals}). */
    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof FileServerOptions that
                && root.equals(that.root) && host.equals(that.host) && port == that.port && Objects.equals(tls, that.tls)
                && windowSize == that.windowSize && maxBytesInFlight == that.maxBytesInFlight && bodyMode == that.bodyMode
                && maxConnections == that.maxConnections && idleTimeout.equals(that.idleTimeout)
                && minRate == that.minRate && minRatePeriod.equals(that.minRatePeriod)
                && rangeLimits.equals(that.rangeLimits) && followSymlinksOutside == that.followSymlinksOutside
                && serveHidden == that.serveHidden && adminHost.equals(that.adminHost) && adminPort == that.adminPort
                && ioThreads == that.ioThreads
                && preferNativeTransport == that.preferNativeTransport
                && requestHeadTimeout.equals(that.requestHeadTimeout) && http2 == that.http2
                && maxConcurrentStreams == that.maxConcurrentStreams
                && maxBytesInFlightPerConnection == that.maxBytesInFlightPerConnection
                && maxWindowsPerConnection == that.maxWindowsPerConnection
                && budgetWaitTimeout.equals(that.budgetWaitTimeout) && mappingBudget.equals(that.mappingBudget)
                && cacheRules.equals(that.cacheRules)
                && precompressed == that.precompressed && directoryListings == that.directoryListings;
    }

    @Override
    public int hashCode() {
        return Objects.hash(root, host, port, tls, windowSize, maxBytesInFlight, bodyMode, maxConnections, idleTimeout,
                minRate, minRatePeriod, rangeLimits, followSymlinksOutside, serveHidden, adminHost, adminPort, ioThreads,
                preferNativeTransport, requestHeadTimeout, http2, maxConcurrentStreams, maxBytesInFlightPerConnection,
                maxWindowsPerConnection, budgetWaitTimeout, mappingBudget, cacheRules, precompressed,
                directoryListings);
    }

    /** Every option; of TLS only whether it is on (no file names, nothing of the key). */
    @Override
    public String toString() {
        return "FileServerOptions[root=" + root + ", host=" + host + ", port=" + port + ", tls=" + (tls != null ? "on" : "off")
                + ", windowSize=" + windowSize + ", maxBytesInFlight=" + maxBytesInFlight + ", bodyMode=" + bodyMode
                + ", maxConnections=" + maxConnections + ", idleTimeout=" + idleTimeout + ", minRate=" + minRate
                + ", minRatePeriod=" + minRatePeriod + ", rangeLimits=" + rangeLimits
                + ", followSymlinksOutside=" + followSymlinksOutside + ", serveHidden=" + serveHidden
                + ", adminHost=" + adminHost + ", adminPort=" + adminPort + ", ioThreads=" + ioThreads
                + ", preferNativeTransport=" + preferNativeTransport + ", requestHeadTimeout=" + requestHeadTimeout
                + ", http2=" + http2 + ", maxConcurrentStreams=" + maxConcurrentStreams
                + ", maxBytesInFlightPerConnection=" + maxBytesInFlightPerConnection
                + ", maxWindowsPerConnection=" + maxWindowsPerConnection + ", budgetWaitTimeout=" + budgetWaitTimeout
                + ", mappingBudget=" + mappingBudget + ", cacheRules=" + cacheRules
                + ", precompressed=" + precompressed + ", directoryListings=" + directoryListings + "]";
    }

    /**
     * Collects options for {@link #build()}; not thread-safe, reusable (each {@code build()} is a new, independent
     * instance). Starts from the defaults listed on {@link FileServerOptions#builder(Path)}, or from an instance's
     * options ({@link FileServerOptions#toBuilder()}). Setters check nothing: {@link #build()} does.
     */
    public static final class Builder {
        private Path root;
        private String host = "127.0.0.1";
        private int port = 8080;
        private @Nullable TlsOptions tls;
        private int windowSize = 4 << 20;
        private long maxBytesInFlight = 8L << 20;
        private BodyMode bodyMode = BodyMode.AUTO;
        private int maxConnections = 10_000;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private long minRate = 1024;
        private Duration minRatePeriod = Duration.ofSeconds(30);
        private RangeLimits rangeLimits = RangeLimits.DEFAULT;
        private boolean followSymlinksOutside;
        private boolean serveHidden;
        private String adminHost = "127.0.0.1";
        private int adminPort = ADMIN_OFF;
        private int ioThreads;
        private boolean preferNativeTransport = true;
        private Duration requestHeadTimeout = DEFAULT_REQUEST_HEAD_TIMEOUT;
        private boolean http2 = true;
        private int maxConcurrentStreams = DEFAULT_MAX_CONCURRENT_STREAMS;
        private long maxBytesInFlightPerConnection = DEFAULT_MAX_BYTES_IN_FLIGHT_PER_CONNECTION;
        private int maxWindowsPerConnection = DEFAULT_MAX_WINDOWS_PER_CONNECTION;
        private Duration budgetWaitTimeout = DEFAULT_BUDGET_WAIT_TIMEOUT;
        private MappingBudget mappingBudget = MappingBudget.global();
        private CacheRules cacheRules = CacheRules.NONE;
        private boolean precompressed;
        private boolean directoryListings;

        private Builder(Path root) {
            this.root = root;
        }

        private Builder(FileServerOptions o) {
            root = o.root;
            host = o.host;
            port = o.port;
            tls = o.tls;
            windowSize = o.windowSize;
            maxBytesInFlight = o.maxBytesInFlight;
            bodyMode = o.bodyMode;
            maxConnections = o.maxConnections;
            idleTimeout = o.idleTimeout;
            minRate = o.minRate;
            minRatePeriod = o.minRatePeriod;
            rangeLimits = o.rangeLimits;
            followSymlinksOutside = o.followSymlinksOutside;
            serveHidden = o.serveHidden;
            adminHost = o.adminHost;
            adminPort = o.adminPort;
            ioThreads = o.ioThreads;
            preferNativeTransport = o.preferNativeTransport;
            requestHeadTimeout = o.requestHeadTimeout;
            http2 = o.http2;
            maxConcurrentStreams = o.maxConcurrentStreams;
            maxBytesInFlightPerConnection = o.maxBytesInFlightPerConnection;
            maxWindowsPerConnection = o.maxWindowsPerConnection;
            budgetWaitTimeout = o.budgetWaitTimeout;
            mappingBudget = o.mappingBudget;
            cacheRules = o.cacheRules;
            precompressed = o.precompressed;
            directoryListings = o.directoryListings;
        }

        /** The directory served. */
        public Builder root(Path root) {
            this.root = root;
            return this;
        }

        /** The address to bind ({@code 127.0.0.1} by default: exposing a file server is a decision). */
        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The port to bind, 0-65535 (8080 by default); 0 picks a free one ({@link FileServer#port()} tells which). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** TLS, or {@code null} (the default) for plain HTTP. TLS cannot be combined with {@link BodyMode#SENDFILE}. */
        public Builder tls(@Nullable TlsOptions tls) {
            this.tls = tls;
            return this;
        }

        /**
         * Bytes per mapped window in {@link BodyMode#MAPPED} (and under TLS), 4096 to {@link MapOptions#MAX_WINDOW_SIZE}
         * (4 MiB by default); the largest window of an HTTP/2 stream, whose windows follow the client's flow-control
         * window (see {@code Http2Server}).
         */
        public Builder windowSize(int windowSize) {
            this.windowSize = windowSize;
            return this;
        }

        /**
         * Bytes of mapped windows written to a connection and not yet sent, per response body (per HTTP/1.1
         * connection, per HTTP/2 stream); {@code >= 1}, 8 MiB by default.
         */
        public Builder maxBytesInFlight(long maxBytesInFlight) {
            this.maxBytesInFlight = maxBytesInFlight;
            return this;
        }

        /** How bytes reach the socket ({@link BodyMode#AUTO} by default). */
        public Builder bodyMode(BodyMode bodyMode) {
            this.bodyMode = bodyMode;
            return this;
        }

        /** Connections served at once, {@code >= 1} (10,000 by default); more get {@code 503} and are closed. */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        /**
         * A connection with no request and no response in progress for this long is closed; positive, 60 s by
         * default.
         */
        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /**
         * Bytes per second a client must read while a response is being sent, measured over periods of
         * {@link #minRatePeriod(Duration)}; slower clients are disconnected. {@code >= 0}, 1024 by default.
         */
        public Builder minRate(long minRate) {
            this.minRate = minRate;
            return this;
        }

        /** The period {@link #minRate(long)} is measured over; 0 turns the check off. {@code >= 0}, 30 s by default. */
        public Builder minRatePeriod(Duration minRatePeriod) {
            this.minRatePeriod = minRatePeriod;
            return this;
        }

        /** Limits against range abuse ({@link RangeLimits#DEFAULT} by default). */
        public Builder rangeLimits(RangeLimits rangeLimits) {
            this.rangeLimits = rangeLimits;
            return this;
        }

        /** Whether symbolic links may lead outside the root (no by default). */
        public Builder followSymlinksOutside(boolean followSymlinksOutside) {
            this.followSymlinksOutside = followSymlinksOutside;
            return this;
        }

        /**
         * The {@code Cache-Control} (and {@code Expires}) of file responses, chosen per file by its path relative to
         * the root; {@link CacheRules#NONE} (the default) sends neither.
         */
        public Builder cacheRules(CacheRules cacheRules) {
            this.cacheRules = cacheRules;
            return this;
        }

        /**
         * Whether precompressed siblings are served (no by default), as nginx's {@code gzip_static} and
         * {@code brotli_static}: {@code name.br} or {@code name.gz} beside {@code name}, checked like any served
         * file, goes to a client whose {@code Accept-Encoding} takes it, zero-copy, with {@code Content-Encoding},
         * the type of {@code name} and validators of its own; a file with a sibling answers with
         * {@code Vary: Accept-Encoding}. Nothing is compressed on the fly. See the guide's "Precompressed files".
         */
        public Builder precompressed(boolean precompressed) {
            this.precompressed = precompressed;
            return this;
        }

        /**
         * Whether a directory without {@code index.html} is answered with an HTML listing (no by default: a
         * {@code 404}), as nginx's {@code autoindex}. Only what a request would be given is listed (no hidden names
         * unless they are served, no link the link policy refuses, no FIFO, socket or device), directories first,
         * names escaped and their links percent-encoded; {@code /dir} is redirected to {@code ./dir/}. See
         * {@link FileExchange#withDirectoryListings(boolean)} and the guide's "Directory listings".
         */
        public Builder directoryListings(boolean directoryListings) {
            this.directoryListings = directoryListings;
            return this;
        }

        /** Whether names starting with a dot are served (no by default). */
        public Builder serveHidden(boolean serveHidden) {
            this.serveHidden = serveHidden;
            return this;
        }

        /**
         * The port of the admin server, 0-65535 (0 picks a free one: {@link FileServer#adminPort()} tells which), or
         * {@link #ADMIN_OFF} (the default) for none. The admin server is a small HTTP/1.1 server of its own, on the
         * file server's event loops, that answers {@code GET} and {@code HEAD} of {@code /health} ({@code 200 serving},
         * or {@code 503 draining}), {@code /metrics} (the meters of {@code docs/metrics.md} in the Prometheus text
         * format) and {@code /_stats} (live windows, mapped bytes, connections and requests as JSON). {@code /metrics}
         * needs {@code io.micrometer:micrometer-registry-prometheus} on the class path (an optional dependency of this
         * module): without it {@link FileServer#start} fails with a message that says so.
         */
        public Builder adminPort(int adminPort) {
            this.adminPort = adminPort;
            return this;
        }

        /**
         * The address the admin port binds ({@code 127.0.0.1} by default: its metrics and stats are for the operator,
         * not for the file server's clients).
         */
        public Builder adminHost(String adminHost) {
            this.adminHost = adminHost;
            return this;
        }

        /**
         * Event-loop threads, {@code >= 0}; 0 (the default) means one per available processor (nginx's
         * {@code worker_processes auto}; half Netty's default: an event loop here never blocks on anything but the
         * page cache, and fewer threads than Netty's twice-the-cores switch less: +3..6% requests/s for 64 KiB files
         * on 2 cores).
         */
        public Builder ioThreads(int ioThreads) {
            this.ioThreads = ioThreads;
            return this;
        }

        /** Use epoll when it is available, otherwise NIO (on by default). */
        public Builder preferNativeTransport(boolean preferNativeTransport) {
            this.preferNativeTransport = preferNativeTransport;
            return this;
        }

        /**
         * A client must complete a request's head (request line and headers) within this time of sending its first
         * byte; one that trickles it more slowly is disconnected. Positive, {@link #DEFAULT_REQUEST_HEAD_TIMEOUT} by
         * default.
         */
        public Builder requestHeadTimeout(Duration requestHeadTimeout) {
            this.requestHeadTimeout = requestHeadTimeout;
            return this;
        }

        /**
         * Whether HTTP/2 is served besides HTTP/1.1 (on by default): over TLS when the client offers {@code h2} in
         * ALPN, on plain connections when the client starts with the HTTP/2 connection preface ({@code h2c} with prior
         * knowledge). Clients that do neither get HTTP/1.1 exactly as with this off. HTTP/2 bodies never go by
         * {@code sendfile}, which cannot frame bytes into DATA frames: bodies up to 256 KiB are copied, larger ones are
         * sent as mapped windows ({@link BodyMode#MAPPED} maps every body).
         */
        public Builder http2(boolean http2) {
            this.http2 = http2;
            return this;
        }

        /**
         * HTTP/2 streams a client may have open at once on one connection (announced in
         * {@code SETTINGS_MAX_CONCURRENT_STREAMS}); {@code >= 1}, {@link #DEFAULT_MAX_CONCURRENT_STREAMS} by default.
         * Each stream's body is bounded like one HTTP/1.1 connection's ({@link #maxBytesInFlight(long)}), and all of
         * them together by the connection's limits ({@link #maxBytesInFlightPerConnection(long)},
         * {@link #maxWindowsPerConnection(int)}).
         */
        public Builder maxConcurrentStreams(int maxConcurrentStreams) {
            this.maxConcurrentStreams = maxConcurrentStreams;
            return this;
        }

        /**
         * Bytes of mapped windows one connection may hold at once, all its bodies (HTTP/2 streams) together;
         * {@code >= 1}, {@link #DEFAULT_MAX_BYTES_IN_FLIGHT_PER_CONNECTION} by default. A connection's windows count
         * against a budget of its own inside {@link #mappingBudget(MappingBudget)} ({@link MappingBudget#of(long, long,
         * MappingBudget)}): a stream over it waits for the connection's own windows to be unmapped, in arrival order,
         * and takes nothing from other connections meanwhile. One window is always allowed when the connection holds
         * none.
         */
        public Builder maxBytesInFlightPerConnection(long maxBytesInFlightPerConnection) {
            this.maxBytesInFlightPerConnection = maxBytesInFlightPerConnection;
            return this;
        }

        /**
         * Windows one connection may hold mapped at once, all its bodies together; {@code >= 1},
         * {@link #DEFAULT_MAX_WINDOWS_PER_CONNECTION} by default. With the default 16, the default global budget (8191
         * windows) holds 511 connections whose every stream is stalled before one more has to wait.
         */
        public Builder maxWindowsPerConnection(int maxWindowsPerConnection) {
            this.maxWindowsPerConnection = maxWindowsPerConnection;
            return this;
        }

        /**
         * How long a body may wait for a window when {@link #mappingBudget(MappingBudget)} (not the connection's own
         * limits) is spent; positive, {@link #DEFAULT_BUDGET_WAIT_TIMEOUT} by default. A request still waiting then is
         * answered {@code 503 Service Unavailable} with {@code Retry-After} if nothing of its response was sent (its
         * headers are sent with its first window), over HTTP/1.1 and HTTP/2 alike; a body already started is cut short
         * (HTTP/1.1: the connection is closed; HTTP/2: the stream is reset), logged at {@code DEBUG}.
         */
        public Builder budgetWaitTimeout(Duration budgetWaitTimeout) {
            this.budgetWaitTimeout = budgetWaitTimeout;
            return this;
        }

        /**
         * The budget every mapped window of the server counts against, inside each connection's own;
         * {@link MappingBudget#global()} by default (a private one gives the server its own limit).
         */
        public Builder mappingBudget(MappingBudget mappingBudget) {
            this.mappingBudget = mappingBudget;
            return this;
        }

        /**
         * The options collected so far.
         *
         * @throws NullPointerException naming the option, if one that must not be null is
         * @throws IllegalArgumentException naming the option, its value and what it must be, if one is out of range or
         *                                  options conflict ({@link BodyMode#SENDFILE} with TLS)
         */
        public FileServerOptions build() {
            return new FileServerOptions(this);
        }
    }
}
