package io.reactivemmap.netty.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin port of a {@link FileServer} ({@link FileServerOptions#adminPort()}): a small HTTP/1.1 server with a
 * listening socket of its own, on the file server's event loops, for the operator rather than the clients. It answers
 * {@code GET} and {@code HEAD} of three paths (a query string is ignored):
 * <ul>
 * <li>{@code /health}: {@code 200 serving}, or {@code 503 draining} while the server drains (text/plain);</li>
 * <li>{@code /metrics}: every meter in the Prometheus text format ({@link MicrometerServerMetrics});</li>
 * <li>{@code /_stats}: live windows, mapped bytes, connections and requests as JSON ({@link ServerState#statsJson}).</li>
 * </ul>
 * Any other path is a {@code 404}, any other method on these paths a {@code 405} with {@code Allow}; a request with a
 * body is refused ({@code 413}) and its connection closed, and a connection idle for a minute is closed. Its requests
 * are not file requests: they are neither in the access log nor in the meters.
 */
final class AdminServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());
    static final String HEALTH = "/health";
    static final String METRICS = "/metrics";
    static final String STATS = "/_stats";
    /** An admin connection with nothing going on for this long is closed (a scraper reconnects). */
    static final int IDLE_SECONDS = 60;

    private final ChannelGroup connections = new DefaultChannelGroup("file-server-admin", GlobalEventExecutor.INSTANCE);
    /** Set once bound, before {@link #start} returns: never null outside {@code start}. */
    private @Nullable Channel serverChannel;
    /**
     * Whether the file server drains ({@code /health} answers {@code 503 draining} then). False until the file server
     * sets it: {@link FileServer} sets it to its own drain signal.
     */
    volatile BooleanSupplier draining = () -> false;

    private AdminServer() {
    }

    /**
     * Binds {@code host:port} and answers there.
     *
     * @param metrics the {@code /metrics} body, in the Prometheus text format
     * @throws IOException if the address cannot be bound, with a message naming it
     */
    static AdminServer start(EventLoopGroup group, Class<? extends ServerChannel> channelClass, String host, int port,
                             ServerState state, Supplier<String> metrics) throws IOException {
        AdminServer admin = new AdminServer(); // bound below: its connections need the server first
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        admin.connections.add(ch);
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
                        ch.pipeline().addLast("http", new HttpServerCodec());
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(0)); // no request has a body
                        ch.pipeline().addLast("admin", new Handler(admin, state, metrics));
                    }
                });
        try {
            admin.serverChannel = bootstrap.bind(host, port).sync().channel();
            return admin;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while binding the admin port " + host + ":" + port, e);
        } catch (Exception e) { // sync() rethrows the bind's checked exception undeclared
            throw new IOException("could not listen on the admin port " + host + ":" + port + ": " + e.getMessage()
                    + (e instanceof java.net.BindException || String.valueOf(e.getMessage()).contains("in use")
                            ? " (another process has this port: choose another admin port, or stop that process)" : ""), e);
        }
    }

    /** The bound port (the real one when the options said 0). */
    int port() {
        return ((InetSocketAddress) Objects.requireNonNull(serverChannel, "serverChannel").localAddress()).getPort();
    }

    /** Stops listening and closes every admin connection, waiting up to 10 s for each. Idempotent. */
    @Override
    public void close() {
        Objects.requireNonNull(serverChannel, "serverChannel").close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** Answers one admin connection's requests, each with one full response. */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final AdminServer admin;
        private final ServerState state;
        private final Supplier<String> metrics;

        Handler(AdminServer admin, ServerState state, Supplier<String> metrics) {
            this.admin = admin;
            this.state = state;
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            boolean keepAlive = HttpUtil.isKeepAlive(request) && request.decoderResult().isSuccess();
            if (request.decoderResult().isFailure()) {
                respond(ctx, request, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8", "malformed request\n", false);
                return;
            }
            String uri = request.uri();
            int query = uri.indexOf('?');
            String path = query >= 0 ? uri.substring(0, query) : uri;
            if (!path.equals(HEALTH) && !path.equals(METRICS) && !path.equals(STATS)) {
                respond(ctx, request, HttpResponseStatus.NOT_FOUND, "text/plain; charset=utf-8",
                        "404 Not Found: the admin port answers " + HEALTH + ", " + METRICS + " and " + STATS + "\n", keepAlive);
                return;
            }
            if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                respond(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                        "405 Method Not Allowed: GET or HEAD\n", keepAlive);
                return;
            }
            switch (path) {
                case HEALTH -> {
                    boolean draining = admin.draining.getAsBoolean();
                    respond(ctx, request, draining ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK,
                            "text/plain; charset=utf-8", draining ? "draining\n" : "serving\n", keepAlive);
                }
                case METRICS -> respond(ctx, request, HttpResponseStatus.OK, MicrometerServerMetrics.CONTENT_TYPE,
                        metrics.get(), keepAlive);
                default -> respond(ctx, request, HttpResponseStatus.OK, "application/json", stats(), keepAlive);
            }
        }

        /** The JSON the file port's {@code /_stats} answered, with how each protocol sends bodies. */
        private String stats() {
            BodySenders bodies = state.bodies;
            return state.statsJson(bodies.http1(), state.options.http2()
                    ? ",\"http2BodyMode\":\"" + bodies.http2().describe() + "\"" : "");
        }

        private static void respond(ChannelHandlerContext ctx, FullHttpRequest request, HttpResponseStatus status,
                                    String contentType, String body, boolean keepAlive) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            boolean head = request.method().equals(HttpMethod.HEAD);
            ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
            response.headers().set(HttpHeaderNames.DATE, HttpDates.now());
            if (status.equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            }
            if (!keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ChannelFuture written = ctx.writeAndFlush(response);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.DEBUG, () -> "closing admin connection " + ctx.channel().remoteAddress() + " after an error", cause);
            ctx.close();
        }
    }
}
