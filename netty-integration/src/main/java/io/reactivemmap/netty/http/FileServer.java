package io.reactivemmap.netty.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.reactivemmap.netty.Transports;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 and HTTP/2 server for the files under one directory: {@code GET} and {@code HEAD}, validators and
 * conditional requests, single and multipart byte ranges, keep-alive, TLS, and guards against slow, idle and excess
 * clients. HTTP/2 ({@link FileServerOptions#http2()}, on by default) is negotiated by ALPN over TLS and spoken on plain
 * connections that start with its preface; its bodies are never sent by {@code sendfile} (see {@code BodySenders}).
 *
 * <pre>{@code
 * try (FileServer server = FileServer.start(FileServerOptions.defaults(Path.of("public")).withPort(0))) {
 *     System.out.println("serving on port " + server.port());
 *     ...
 * } // closes the listening socket, every connection and the event loops
 * }</pre>
 * To stop without cutting downloads short, {@link #drain(Duration) drain} first:
 * {@code server.drain(Duration.ofSeconds(30)).join(); server.close();}.
 *
 * <p>How bytes reach the socket depends on the {@link BodyMode} and the protocol (the rules are in
 * {@code BodySenders}; the admin port's {@code /_stats} and the start-up line report the choice per protocol). In the default
 * {@link BodyMode#AUTO}, plain HTTP/1.1 sends a body up to 64 KiB with a corked {@code sendfile} from the descriptor
 * the server opened (a multipart body is copied with one {@code pread}) and a larger one by {@code sendfile}. Under
 * TLS (HTTP/1.1 in any mode) and on HTTP/2 streams (in {@code AUTO} and {@code SENDFILE}), bodies up to 256 KiB are
 * copied with one {@code pread} and larger ones go as mapped windows, which the JDK TLS engine reads without a copy
 * into a heap buffer; {@link BodyMode#MAPPED} maps every body on plain HTTP/1.1 and on HTTP/2. A request for a path
 * outside the root,
 * hidden, or not a regular file is a {@code 404}; a malformed one a {@code 400} (over HTTP/2, a request that breaks
 * RFC 9113's rules for its header fields is reset with {@code PROTOCOL_ERROR} instead); a method other than
 * {@code GET} or {@code HEAD} a {@code 405}; an HTTP/1 request that breaks the {@link RequestRules} (a version other
 * than 1.x in the request line, a missing, repeated or malformed {@code Host}) a {@code 505} or {@code 400}. A client
 * that has not sent a complete request head within
 * {@link FileServerOptions#requestHeadTimeout()} of connecting (or of its previous response) is disconnected. Each
 * request is logged on the {@code io.reactivemmap.netty.http.access} {@link System.Logger} at {@code INFO}, or given
 * to the {@link AccessLog} passed to {@link #start(FileServerOptions, AccessLog)}.
 *
 * <h2>Admin port</h2>
 * With {@link FileServerOptions#adminPort()} set, a second, small HTTP/1.1 server on its own port (loopback by
 * default) answers {@code /health}, {@code /metrics} (Prometheus text, the meters listed in {@code docs/metrics.md}) and
 * {@code /_stats}; see {@link FileServerOptions.Builder#adminPort(int)}. Without it the server counts nothing and
 * needs no Micrometer.
 *
 * <h2>Mapping budget</h2>
 * Mapped windows count against {@link FileServerOptions#mappingBudget()} (the process-wide budget by default) through
 * a budget of each connection's own, so that slow clients cannot hold all of it: one connection, however many HTTP/2
 * streams it opens, holds at most {@link FileServerOptions#maxWindowsPerConnection()} windows and
 * {@link FileServerOptions#maxBytesInFlightPerConnection()} bytes; an HTTP/2 stream's windows are as large as its
 * client's flow-control window (64 KiB at least); and nothing is read ahead of what the writer asks for. A response's
 * headers go out with its body's first window: a request that cannot get one within
 * {@link FileServerOptions#budgetWaitTimeout()} is answered {@code 503 Service Unavailable} with {@code Retry-After},
 * and a body already started that cannot get its next one is cut short (the connection closed, or the HTTP/2 stream
 * reset), logged at {@code DEBUG}.
 *
 * <h2>Files that change while they are sent</h2>
 * A file that shrinks while it is sent ends the response early: the client sees fewer bytes than
 * {@code Content-Length}, and the connection is closed (over HTTP/2 the stream is reset and the connection's other
 * streams go on, unless the truncation lands between the last check of a DATA frame and the read of its bytes: see
 * {@code Http2DataFrameCheck}). What is guaranteed:
 * <ul>
 * <li>The process survives. Mapped memory is read only by the kernel (plain connections: the socket write from
 *     a truncated mapping fails, it does not signal the process) or by Java code in the JDK TLS engine (the JVM
 *     turns the fault into an {@link InternalError}); no native code that would crash on it (OpenSSL, zlib) is ever
 *     in the pipeline.</li>
 * <li>Under TLS, mapped data reaches the {@code SslHandler} in pieces of 64 KiB, each checked for truncation
 *     right before it is encrypted; a truncation found there closes the connection before anything of the piece is
 *     sent. A truncation that lands while a piece is being encrypted faults: the fault is caught next to the
 *     {@code SslHandler}, the connection is closed, and the error goes no further (no event loop sees it).
 *     Tested in a forked JVM ({@code TlsTruncationForkedTest}).</li>
 * <li>Bytes read before a truncation are the file's. Bytes of the file's last page past a new, unaligned end read as
 *     zeros without any fault and cannot be told from data by any reader. Under TLS they never reach the client: the
 *     pieces just encrypted are checked again and their records dropped if the file shrank. On a plain connection
 *     that sends mapped windows ({@link BodyMode#MAPPED}, or h2c bodies above 256 KiB) the kernel reads them: a
 *     truncation that lands while a window is being written can send up to one page of zeros before the connection
 *     closes ({@code sendfile} and copied bodies cannot).</li>
 * <li>Every window is unmapped on every path.</li>
 * </ul>
 * Replace served files atomically (write a new file, then rename it over the old one) to avoid all of this: a
 * response in progress keeps reading the old file.
 */
public final class FileServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FileServer.class.getName());

    private final ServerState state;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final String transport;
    /** Completed once a drain (or a close) has closed every connection; see {@link #drain}. */
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile @Nullable ScheduledFuture<?> drainTimeout;
    /** Bound once: the listening socket's address is gone once a drain closed it. */
    private final int port;
    private final @Nullable AdminServer admin;

    private FileServer(ServerState state, EventLoopGroup group, Channel serverChannel, String transport,
                       @Nullable AdminServer admin) {
        this.state = state;
        this.group = group;
        this.serverChannel = serverChannel;
        this.transport = transport;
        this.port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        this.admin = admin;
        // The admin port's /health says "draining" when this says so; the drain's signal.
        if (admin != null) {
            admin.draining = this::isDraining;
        }
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException if the root is not a directory, the address or the admin port cannot be bound, TLS cannot
     *                     be set up, or the admin port is on without Micrometer's Prometheus registry
     */
    public static FileServer start(FileServerOptions options) throws IOException {
        return start(options, AccessLog.SYSTEM_LOGGER);
    }

    /**
     * Binds and starts serving, and gives each answered request's {@link AccessLogRecord} (HTTP/1.1 and HTTP/2
     * alike, refusals included; not the admin port's) to {@code accessLog} instead of the
     * {@code io.reactivemmap.netty.http.access} logger ({@link AccessLog#NONE} for no access log).
     *
     * @throws IOException if the root is not a directory, the address or the admin port cannot be bound, TLS cannot
     *                     be set up, or the admin port is on without Micrometer's Prometheus registry
     */
    public static FileServer start(FileServerOptions options, AccessLog accessLog) throws IOException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(accessLog, "accessLog");
        RootDirectory root = RootDirectory.of(options.root(), options.followSymlinksOutside(), options.serveHidden());
        SslContext ssl = null;
        if (options.tls() != null) {
            try {
                ssl = ServerTls.context(options.tls(), options.http2());
            } catch (GeneralSecurityException e) {
                throw new IOException("could not set up TLS: " + e.getMessage(), e);
            }
        }
        MicrometerServerMetrics meters = options.adminPort() != FileServerOptions.ADMIN_OFF ? meters(options) : null;
        ServerState state = new ServerState(options, root, BodySenders.of(options), accessLog,
                meters != null ? meters : ServerMetrics.NONE);
        Http2Server http2 = options.http2() ? new Http2Server(state) : null;
        // Not Transports.preferred(): the options decide here, not the process-wide choice and its system property.
        Transports.Kind kind = options.preferNativeTransport() && Transports.Kind.EPOLL.isAvailable()
                ? Transports.Kind.EPOLL : Transports.Kind.NIO;
        int threads = options.ioThreads() > 0 ? options.ioThreads() : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = kind.newEventLoopGroup(threads);
        try {
            SslContext sslContext = ssl;
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(group)
                    .channel(kind.serverChannelClass())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            initConnection(ch, state, sslContext, http2);
                        }
                    });
            Channel channel = bootstrap.bind(options.host(), options.port()).sync().channel();
            String transport = kind == Transports.Kind.EPOLL ? "epoll" : "nio" + (!options.preferNativeTransport() ? ""
                    : " (epoll unavailable: " + Transports.Kind.EPOLL.unavailabilityCause() + ")");
            AdminServer admin = null;
            if (meters != null) {
                try {
                    admin = AdminServer.start(group, kind.serverChannelClass(), options.adminHost(), options.adminPort(),
                            state, meters::scrape);
                } catch (IOException e) {
                    channel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
                    stop(group);
                    throw new AdminFailed(e);
                }
            }
            FileServer server = new FileServer(state, group, channel, transport, admin);
            if (admin != null) {
                LOG.log(Level.INFO, () -> "admin port (/health, /metrics, /_stats) on http://" + options.adminHost() + ":"
                        + server.adminPort());
            }
            LOG.log(Level.INFO, () -> "serving " + root.path() + " on " + (sslContext != null ? "https" : "http") + "://"
                    + options.host() + ":" + server.port() + " (" + server.transport + "; bodies: " + state.bodies.http1().describe()
                    + (http2 != null ? (sslContext != null ? "; h2 by ALPN" : "; h2c with prior knowledge")
                            + ", bodies: " + state.bodies.http2().describe() : "") + ")");
            return server;
        } catch (AdminFailed e) { // cleaned up already; not a failure to bind the file port
            throw e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stop(group);
            throw new IOException("interrupted while binding " + options.host() + ":" + options.port(), e);
        } catch (Exception e) {
            // Netty's sync() rethrows the bind's checked exception (a BindException, epoll's NativeIoException)
            // undeclared: caught here too, or the event loops (non-daemon threads) would keep the JVM alive.
            stop(group);
            throw new IOException("could not listen on " + options.host() + ":" + options.port() + ": " + e.getMessage()
                    + (e instanceof java.net.BindException || String.valueOf(e.getMessage()).contains("in use")
                            ? " (another process has this port: choose another port, or stop that process)" : ""), e);
        }
    }

    /** The admin port could not be bound: carries its {@link IOException} past the file port's own handling. */
    private static final class AdminFailed extends RuntimeException {
        AdminFailed(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }

    /**
     * The meters of a server with an admin port; fails with a clear message when Micrometer's Prometheus registry is
     * not on the class path (an optional dependency: a server without an admin port never loads it).
     */
    private static MicrometerServerMetrics meters(FileServerOptions options) throws IOException {
        try {
            Class.forName(MicrometerServerMetrics.REQUIRED_CLASS, false, FileServer.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IOException("the admin port (" + options.adminHost() + ":" + options.adminPort() + ") serves /metrics "
                    + "through Micrometer: add io.micrometer:micrometer-registry-prometheus to the class path, or turn "
                    + "the admin port off", e);
        }
        return new MicrometerServerMetrics(options.mappingBudget());
    }

    /** Stops {@code group} after a failed start and waits (briefly) for its threads, so that nothing keeps the JVM. */
    private static void stop(EventLoopGroup group) {
        if (!group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS)) {
            LOG.log(Level.WARNING, "the event loops of a server that failed to start did not stop within 10 s");
        }
    }

    private static void initConnection(SocketChannel ch, ServerState state, @Nullable SslContext ssl, @Nullable Http2Server http2) {
        FileServerOptions options = state.options;
        int open = state.openConnections.incrementAndGet();
        state.metrics.connectionOpened();
        ch.closeFuture().addListener(f -> {
            state.openConnections.decrementAndGet();
            state.metrics.connectionClosed();
            state.connectionClosed.run();
        });
        state.connections.add(ch);
        if (state.closing || state.draining) {
            // Accepted just before the listening socket closed, registered after close() swept the group: the sweep
            // did not see it, so it must not outlive the server. (The group add above comes first: either the sweep
            // sees this channel or this check sees the flag.) The same for a drain's sweep.
            ch.close();
            return;
        }
        ConnectionBudget.attach(ch, options);
        ChannelPipeline p = ch.pipeline();
        ConnectionGuard guard = new ConnectionGuard(options.idleTimeout(), options.minRate(), options.minRatePeriod(),
                options.requestHeadTimeout(), state.metrics);
        p.addLast("guard", guard);
        if (ssl != null) {
            SslHandler tls = ssl.newHandler(ch.alloc());
            tls.handshakeFuture().addListener(f -> state.metrics.tlsHandshake(f.isSuccess()));
            p.addLast("tls", tls);
            p.addLast("windows", new TlsWindowGuard());
        }
        boolean overloaded = open > options.maxConnections();
        if (http2 != null) {
            p.addLast("protocol", http2.protocolSelector(ssl != null, guard, overloaded, () -> http1(p, state, guard, overloaded)));
        } else {
            http1(p, state, guard, overloaded);
        }
    }

    private static void http1(ChannelPipeline p, ServerState state, ConnectionGuard guard, boolean overloaded) {
        // Netty's codec refuses more than 128 pipelined requests in flight (an error that closes the connection); ours
        // queues requests while one is answered, so its bound has to cover our queue (see FileRequestHandler).
        p.addLast("http", new HttpServerCodec(new HttpDecoderConfig(), FileRequestHandler.MAX_PIPELINED + 1));
        if (overloaded) {
            p.addLast("reject", new Overloaded(state.options.maxConnections(), state.exchange));
        } else {
            p.addLast("files", new FileRequestHandler(state, guard));
        }
    }

    /** Answers the first request of a connection over the cap with 503 and closes it. */
    private static final class Overloaded extends ChannelInboundHandlerAdapter {
        private final int max;
        private final FileExchange exchange;

        Overloaded(int max, FileExchange exchange) {
            this.max = max;
            this.exchange = exchange;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            long start = System.nanoTime();
            ReferenceCountUtil.release(msg);
            if (!(msg instanceof HttpRequest request)) {
                return;
            }
            ctx.channel().config().setAutoRead(false);
            byte[] text = ("503 Service Unavailable: more than " + max + " connections\n").getBytes(StandardCharsets.UTF_8);
            // Only for the access log (the response below is written as it always was): the same status and length.
            HttpVersion version = request.protocolVersion();
            FileExchange.FileResponse logged = exchange.answerWith(new FileExchange.Request(request.method().name(),
                    request.uri(), version.majorVersion(), version.minorVersion(), java.util.List.of(),
                    request.headers(), false, ctx.channel().remoteAddress(), version.text(), start),
                    FileExchange.FileResponse.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "more than " + max
                            + " connections", false, true));
            DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.SERVICE_UNAVAILABLE, Unpooled.wrappedBuffer(text));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, text.length);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            response.headers().set(HttpHeaderNames.RETRY_AFTER, 1);
            ctx.writeAndFlush(response).addListener((ChannelFutureListener) f -> {
                logged.complete(f.isSuccess() ? AccessLogRecord.Outcome.COMPLETE
                        : AccessLogRecord.Outcome.ofFailure(f.cause(), ctx.channel().isActive()), f.isSuccess() ? text.length : -1);
                f.channel().close();
            });
        }
    }

    /** The bound port (the real one when the options said 0). */
    public int port() {
        return port;
    }

    /**
     * The bound admin port (the real one when the options said 0), or {@link FileServerOptions#ADMIN_OFF} when the
     * server has none.
     */
    public int adminPort() {
        return admin != null ? admin.port() : FileServerOptions.ADMIN_OFF;
    }

    /** Connections open right now (including any being refused for exceeding the cap). */
    public int openConnections() {
        return state.openConnections.get();
    }

    /** "epoll" or "nio", and why not epoll. */
    public String transport() {
        return transport;
    }

    /** The options the server runs with. */
    public FileServerOptions options() {
        return state.options;
    }

    /**
     * Shuts the server down gracefully: stops accepting (the listening socket is closed, so new connections are
     * refused from the moment this returns, unless it is called on one of the server's event loops), closes idle HTTP/1.1 keep-alive connections at once, lets every response in progress finish and then
     * closes its connection (a response that starts during the drain says {@code Connection: close}), and sends
     * HTTP/2 connections {@code GOAWAY NO_ERROR} (Netty's graceful shutdown: the streams already open are answered,
     * later ones refused) and closes each when its last stream ends. Whatever is still open {@code timeout} after
     * the call is closed then (a body cut short; its windows are released); a second call changes nothing and
     * returns the first one's future.
     *
     * <p>The event loops keep running: call {@link #close()} after the drain (it returns at once then). A
     * {@code close()} during a drain closes everything at once and completes the drain.
     *
     * @param timeout how long responses in progress may take, at least zero
     * @return completes (never exceptionally) when every connection is closed: by itself, at the timeout, or by
     *         {@code close()}; a copy, so completing it changes nothing here
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public CompletableFuture<Void> drain(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("drain timeout " + timeout + " is negative (expected: 0 or more)");
        }
        synchronized (this) {
            if (state.draining || state.closing) {
                return drained.copy();
            }
            // Before the sweep below: a response that starts from now on is its connection's last, a connection
            // registered from now on closes itself (initConnection), so none escapes the sweep.
            state.draining = true;
            state.connectionClosed = this::checkDrained;
        }
        int open = state.openConnections.get();
        LOG.log(Level.DEBUG, () -> "draining: refusing new connections, waiting up to " + timeout + " for " + open
                + " open connection(s)");
        ChannelFuture unbound = serverChannel.close().addListener(f -> checkDrained());
        if (!onEventLoop()) {
            // So that new connections are refused once drain returns. Not on an event loop: the close may need it.
            unbound.awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
        for (Channel ch : state.connections) {
            ch.eventLoop().execute(() -> drainConnection(ch));
        }
        drainTimeout = group.next().schedule(() -> {
            int left = state.openConnections.get();
            if (left > 0) {
                LOG.log(Level.INFO, () -> "drain timeout (" + timeout + "): closing " + left + " connection(s) still open");
            }
            for (Channel ch : state.connections) {
                ch.eventLoop().execute(() -> Http2Server.closeNow(ch));
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        checkDrained();
        return drained.copy();
    }

    /** Whether the calling thread is one of this server's event loops. */
    private boolean onEventLoop() {
        for (EventExecutor loop : group) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** One connection at the start of a drain; on its event loop. */
    private static void drainConnection(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        FileRequestHandler http1 = ch.pipeline().get(FileRequestHandler.class);
        if (http1 != null) {
            if (!http1.responding()) {
                ch.close(); // an idle keep-alive connection
            } // else it closes itself when its response ends (FileRequestHandler sees the flag)
            return;
        }
        if (!Http2Server.goAway(ch)) {
            ch.close(); // no protocol chosen yet (no request), or refused for the connection cap
        }
    }

    /** Completes the drain once the listening socket and every connection are closed. */
    private void checkDrained() {
        if (serverChannel.closeFuture().isDone() && state.openConnections.get() == 0 && drained.complete(null)) {
            ScheduledFuture<?> timer = drainTimeout;
            if (timer != null) {
                timer.cancel(false);
            }
            LOG.log(Level.DEBUG, "drained: every connection is closed");
        }
    }

    /**
     * Whether {@link #drain} was called: from then on the server accepts nothing new, and it stays so (a drained
     * server does not serve again). For a health check that should fail while the server drains.
     */
    public boolean isDraining() {
        return state.draining;
    }

    /** The admin server, or null without an admin port: for tests of its draining signal. */
    @Nullable AdminServer admin() {
        return admin;
    }

    /** The event loops, for tests that need to keep them busy. */
    EventLoopGroup eventLoops() {
        return group;
    }

    /**
     * Stops listening (on the admin port too), closes every connection (their windows are released) and stops the
     * event loops; waits up to 10 s for each step. Idempotent. During a {@link #drain} it does not wait for the drain:
     * responses in progress are cut, and the drain completes.
     */
    @Override
    public void close() {
        synchronized (this) {
            state.closing = true;
        }
        if (admin != null) {
            admin.close();
        }
        serverChannel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        if (state.draining) {
            // HTTP/2 connections in a drain wait for their streams when closed (Http2Server.goAway): not any more. Queued
            // on each connection's event loop ahead of the group's close below, so it runs first.
            for (Channel ch : state.connections) {
                ch.eventLoop().execute(() -> Http2Server.closeNow(ch));
            }
        }
        // Close the connections ourselves, and wait for it, before stopping the loops. Shutting an event loop down does
        // not reliably close its channels in Netty 4.2: SingleThreadIoEventLoop closes them (IoHandler.prepareToDestroy)
        // only if it sees the shutdown right after an I/O pass; a shutdown requested while the loop is running tasks
        // (completing a body, say) with a quiet period of 0 ends the loop without it, and IoHandler.destroy() only
        // closes the selector. Such a connection stayed open, its socket and close listeners never released.
        state.connections.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        drained.complete(null); // a drain cut short by close(): every connection is closed now
    }
}
