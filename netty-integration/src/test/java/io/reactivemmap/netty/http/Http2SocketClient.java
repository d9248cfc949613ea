package io.reactivemmap.netty.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.reactivemmap.netty.EmbeddedHttp2;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 client on a real socket, made of Netty's client {@code Http2FrameCodec} and {@code Http2MultiplexHandler},
 * over TLS (ALPN {@code h2}) or plain (h2c with prior knowledge): frame-level answers ({@link EmbeddedHttp2.Response}
 * per stream: DATA bytes, END_STREAM, RST_STREAM code) where the JDK {@code HttpClient} only says "IOException". Streams
 * can be opened paused (their frames wait in the client, so their flow-control windows fill and the server has to stop
 * mid-body) and resumed.
 */
final class Http2SocketClient implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    final Channel connection;
    /** The error code of the GOAWAY the server sent, once it sent one. */
    final CompletableFuture<Long> goAway = new CompletableFuture<>();
    /** DATA bytes received per stream id, counted as they arrive (before a paused stream reads them). */
    private final Map<Integer, Long> arrived = new HashMap<>();
    private final Map<Integer, Arrival> awaited = new HashMap<>();

    private record Arrival(long bytes, CompletableFuture<Void> future) {
    }

    /**
     * Connects and sends the preface with {@code settings}; also opens the connection's flow-control window to
     * {@code connectionWindow} bytes (a paused stream then holds up only itself).
     */
    Http2SocketClient(int port, boolean tls, Http2Settings settings, int connectionWindow) throws Exception {
        SslContext ssl = tls ? SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE)
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2))
                .build() : null;
        connection = new Bootstrap().group(group).channel(NioSocketChannel.class).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                if (ssl != null) {
                    ch.pipeline().addLast(ssl.newHandler(ch.alloc(), "localhost", port));
                }
                ch.pipeline().addLast(Http2FrameCodecBuilder.forClient().initialSettings(settings).build(),
                        new ArrivalCounter(), new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()), new GoAwayWatch());
            }
        }).connect("127.0.0.1", port).sync().channel();
        SslHandler sslHandler = connection.pipeline().get(SslHandler.class);
        if (sslHandler != null) {
            sslHandler.handshakeFuture().sync();
            if (!ApplicationProtocolNames.HTTP_2.equals(sslHandler.applicationProtocol())) {
                throw new IllegalStateException("ALPN chose " + sslHandler.applicationProtocol() + ", not h2");
            }
        }
        int increment = connectionWindow - 65_535; // the connection window starts at 65,535 bytes (RFC 9113 §6.9.2)
        if (increment > 0) {
            connection.writeAndFlush(new DefaultHttp2WindowUpdateFrame(increment)).sync();
        }
    }

    /** A {@code GET} of {@code path} with extra header name/value pairs. */
    EmbeddedHttp2.Response get(String path, String... headerPairs) throws Exception {
        return request("GET", path, false, headerPairs);
    }

    /**
     * Opens a stream and sends a bodiless request on it.
     *
     * @param paused the stream reads nothing until {@link #resume}: its frames wait in the client, and no window update
     *               is sent for them
     */
    EmbeddedHttp2.Response request(String method, String path, boolean paused, String... headerPairs) throws Exception {
        Http2Headers h = new DefaultHttp2Headers().method(method).path(path).scheme("https").authority("localhost");
        for (int i = 0; i < headerPairs.length; i += 2) {
            h.add(headerPairs[i], headerPairs[i + 1]);
        }
        EmbeddedHttp2.Response response = new EmbeddedHttp2.Response();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection).handler(response).open().sync().getNow();
        response.channel = stream;
        if (paused) {
            stream.config().setAutoRead(false);
        }
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(h, true)).sync();
        return response;
    }

    /** Lets a paused stream read (and so return flow-control credit) again. */
    void resume(EmbeddedHttp2.Response response) {
        response.channel.config().setAutoRead(true);
    }

    /** Completes once {@code bytes} DATA bytes of {@code response}'s stream reached the client (read or not). */
    CompletableFuture<Void> arrived(EmbeddedHttp2.Response response, long bytes) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        int id = response.channel.stream().id();
        connection.eventLoop().execute(() -> {
            if (arrived.getOrDefault(id, 0L) >= bytes) {
                f.complete(null);
            } else {
                awaited.put(id, new Arrival(bytes, f));
            }
        });
        return f;
    }

    @Override
    public void close() throws Exception {
        connection.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    /** Counts DATA bytes per stream on the connection, before the multiplexer hands them to the stream channels. */
    private final class ArrivalCounter extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2DataFrame d && d.stream() != null) {
                int id = d.stream().id();
                long total = arrived.merge(id, (long) d.content().readableBytes(), Long::sum);
                Arrival a = awaited.get(id);
                if (a != null && total >= a.bytes()) {
                    awaited.remove(id);
                    a.future().complete(null);
                }
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** The end of the connection's pipeline: records a GOAWAY, drops what the multiplexer passes on, closes on errors. */
    private final class GoAwayWatch extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2GoAwayFrame g) {
                goAway.complete(g.errorCode());
            }
            io.netty.util.ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the server cut the connection (a reset): the streams see it as their channels closing
        }
    }
}
