package io.reactivemmap.netty.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamChannelOption;
import io.netty.handler.codec.http2.Http2StreamFrame;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/2 client at the frame level over a real socket (h2c with prior knowledge): Netty's {@code Http2FrameCodec}
 * in client mode and an {@code Http2MultiplexHandler}, one child channel per stream. It can be as slow as a test
 * needs, which the JDK {@code HttpClient} cannot be made reliably: a {@linkplain #slow slow} client announces a tiny
 * stream window and never returns a byte of it; a {@linkplain #fast fast} one returns every byte as it reads it.
 */
final class Http2FrameClient implements AutoCloseable {
    final Channel channel;
    private final boolean autoFlowControl;

    private Http2FrameClient(Channel channel, boolean autoFlowControl) {
        this.channel = channel;
        this.autoFlowControl = autoFlowControl;
    }

    /** A client that lets each stream receive {@code streamWindow} bytes and then never sends a WINDOW_UPDATE. */
    static Http2FrameClient slow(EventLoopGroup group, int port, int streamWindow) throws InterruptedException {
        return connect(group, port, streamWindow, false);
    }

    /** A client with 1 MiB stream windows and a 16 MiB connection window, returned as it reads. */
    static Http2FrameClient fast(EventLoopGroup group, int port) throws InterruptedException {
        Http2FrameClient c = connect(group, port, 1 << 20, true);
        c.channel.writeAndFlush(new DefaultHttp2WindowUpdateFrame(16 << 20)).sync(); // stream 0: the connection window
        return c;
    }

    private static Http2FrameClient connect(EventLoopGroup group, int port, int streamWindow, boolean autoFlowControl)
            throws InterruptedException {
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                        .initialSettings(Http2Settings.defaultSettings().initialWindowSize(streamWindow))
                                        .build(),
                                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                    }
                })
                .connect("127.0.0.1", port).sync().channel();
        return new Http2FrameClient(ch, autoFlowControl);
    }

    /** Opens a stream and sends {@code GET path} on it (headers only, END_STREAM). */
    Stream get(String path) throws InterruptedException {
        Stream s = new Stream();
        Http2StreamChannel child = new Http2StreamChannelBootstrap(channel)
                .option(Http2StreamChannelOption.AUTO_STREAM_FLOW_CONTROL, autoFlowControl)
                .handler(s).open().sync().getNow();
        s.channel = child;
        Http2Headers h = new DefaultHttp2Headers().method("GET").scheme("http").authority("localhost").path(path);
        child.writeAndFlush(new DefaultHttp2HeadersFrame(h, true));
        return s;
    }

    /**
     * Gives the server back the window of every byte the stream received and had not been given back (a stream can
     * return no more than it received: that is all Netty lets a client do with its initial window).
     */
    void returnReceived(Stream s) {
        long received = s.received.get();
        int bytes = (int) (received - s.returned);
        if (bytes > 0) {
            s.returned = received;
            s.channel().writeAndFlush(new DefaultHttp2WindowUpdateFrame(bytes));
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** What one stream received. Read its fields after {@link #headers} or {@link #done} completed. */
    static final class Stream extends SimpleChannelInboundHandler<Http2StreamFrame> {
        /** The response headers, when they arrive. */
        final CompletableFuture<Http2Headers> headers = new CompletableFuture<>();
        /** Completes when the stream ends: END_STREAM, RST_STREAM, or the stream channel closing. */
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final AtomicLong received = new AtomicLong();
        volatile boolean endStream;
        /** The RST_STREAM error code, or -1. */
        volatile long resetCode = -1;
        /** Bytes given back to the server with WINDOW_UPDATE ({@link #returnReceived}). */
        private long returned;
        private volatile @Nullable Http2StreamChannel channel;

        Http2StreamChannel channel() {
            Http2StreamChannel c = channel;
            if (c == null) {
                throw new IllegalStateException("the stream is not open yet");
            }
            return c;
        }

        String status() {
            return String.valueOf(headers.getNow(new DefaultHttp2Headers()).status());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) throws Exception {
            if (frame instanceof Http2HeadersFrame h) {
                headers.complete(h.headers());
                end(h.isEndStream());
            } else if (frame instanceof Http2DataFrame d) {
                received.addAndGet(d.content().readableBytes());
                synchronized (body) {
                    d.content().readBytes(body, d.content().readableBytes());
                }
                end(d.isEndStream());
            }
        }

        private void end(boolean endOfStream) {
            if (endOfStream) {
                endStream = true;
                done.complete(null);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame r) {
                resetCode = r.errorCode(); // Netty's stream channels deliver RST_STREAM as an event
                done.complete(null);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            done.complete(null);
            ctx.fireChannelInactive();
        }

        byte[] bytes() {
            synchronized (body) {
                return body.toByteArray();
            }
        }
    }
}
