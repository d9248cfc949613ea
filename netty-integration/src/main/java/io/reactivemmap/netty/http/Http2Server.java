package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * HTTP/2 for {@link FileServer}: chooses the protocol of a new connection and sets up its HTTP/2 pipeline. Each stream
 * is a child channel ({@link Http2MultiplexHandler}) answered by an {@link Http2StreamHandler} with the same planning
 * as HTTP/1.1 ({@link RequestPath}, {@link RootDirectory}, {@link ResponsePlan}).
 *
 * <h2>Choosing the protocol</h2>
 * Over TLS, ALPN: {@code h2} if the client offers it, otherwise HTTP/1.1. On plain connections, the first bytes: the
 * HTTP/2 connection preface ({@code h2c} with prior knowledge, RFC 9113 §3.3) starts HTTP/2, anything else is HTTP/1.1
 * with exactly the pipeline the server uses when HTTP/2 is off. ({@code Upgrade: h2c} is not supported: such a request
 * is answered over HTTP/1.1.)
 *
 * <h2>Bodies</h2>
 * Through the stream channel as {@code ByteBuf}s that {@link Http2StreamHandler} turns into DATA frames: mapped windows
 * drained by {@link io.reactivemmap.netty.ChannelBodyWriter} (up to {@link FileServerOptions#maxBytesInFlight()} per
 * stream), or a copy for bodies of at most {@value SmallBodySender#DEFAULT_THRESHOLD} bytes (except in
 * {@link BodyMode#MAPPED}). A stream channel is writable only while its frames fit the client's flow-control window
 * (Netty counts a DATA frame as pending until the window lets it out), so the client's window, the connection's
 * writability and the byte budget together decide when the next window is mapped. Right after the codec, the
 * {@link Http2DataFrameCheck} checks the file under each DATA frame as the frame leaves the flow controller: a frame of
 * a truncated file is dropped whole and only its stream is reset. Over TLS the frames' payloads are slices of the mapped
 * buffers, regrouped into whole TLS records by {@link Http2TlsRecords} (so the {@code SslHandler} does not copy them) and
 * checked once more by the {@link TlsWindowGuard} like HTTP/1.1 bodies.
 *
 * <h2>Limits</h2>
 * {@link FileServerOptions#maxConcurrentStreams()} streams per connection, request header lists up to
 * {@value #MAX_HEADER_LIST_SIZE} bytes (larger ones get 431), Netty's defaults against floods (at most 200 stream resets
 * by the client per 30 s, 10,000 queued control frames, a bounded number of empty DATA and small CONTINUATION frames).
 */
final class Http2Server {
    private static final System.Logger LOG = System.getLogger(Http2Server.class.getName());
    /** The client connection preface (RFC 9113 §3.4). */
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /**
     * Largest request header list we accept (RFC 9113 §6.5.2 counts names, values and 32 bytes per field): about what
     * HTTP/1.1 accepts (a 4 KiB request line and 8 KiB of headers).
     */
    static final int MAX_HEADER_LIST_SIZE = 16 << 10;

    final FileServer.State server;
    final BodySender bodySender;
    private final Http2Settings settings;

    Http2Server(FileServer.State server) {
        this.server = server;
        FileServerOptions options = server.options;
        BodySender mapped = new MappedBodySender(FileServer.mapOptions(options), FileServer.writeOptions(options));
        // sendfile cannot put bytes into DATA frames: AUTO and SENDFILE map large bodies and copy small ones (a mapping
        // costs more than copying a few pages); MAPPED maps every body, as it does on HTTP/1.1.
        this.bodySender = options.bodyMode() == BodyMode.MAPPED ? mapped
                : new SmallBodySender(SmallBodySender.DEFAULT_THRESHOLD, mapped);
        // Only what we receive is set here: the server never accepts request bodies, so the default receive window
        // (64 KiB) is plenty; the client's SETTINGS decide the frame sizes and windows of what we send.
        this.settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(options.maxConcurrentStreams())
                .maxHeaderListSize(MAX_HEADER_LIST_SIZE);
    }

    /**
     * The handler that decides, on a new connection, between HTTP/2 and HTTP/1.1; added last to the pipeline (after the
     * TLS handlers, if any).
     *
     * @param http1 adds the HTTP/1.1 handlers to the end of the pipeline
     */
    ChannelHandler protocolSelector(boolean tls, ConnectionGuard guard, boolean overloaded, Runnable http1) {
        return tls ? new Alpn(guard, overloaded, http1) : new PriorKnowledge(guard, overloaded, http1);
    }

    /** Adds the HTTP/2 handlers to the end of {@code p}. */
    void configure(ChannelPipeline p, ConnectionGuard guard, boolean overloaded) {
        guard.multiplexed();
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                // FileServer.close() closes every connection: do not wait for open streams (the default waits 30 s)
                .gracefulShutdownTimeoutMillis(0)
                .build();
        StreamCount streams = new StreamCount(guard);
        if (p.get(SslHandler.class) != null) {
            p.addLast("h2-records", new Http2TlsRecords()); // DATA frames into whole TLS records without a copy
        }
        p.addLast("h2-data-check", new Http2DataFrameCheck(codec.connection())); // a truncated file resets its stream only
        p.addLast("h2", codec);
        p.addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                streams.opened(ch);
                ch.pipeline().addLast("files", new Http2StreamHandler(Http2Server.this, overloaded));
            }
        }));
        p.addLast("h2-end", new ConnectionEnd());
    }

    /**
     * Tells the {@link ConnectionGuard} when the connection has streams open (a response in progress: the slow-reader
     * rate applies) and when the last one closed (idleness counts from then). On the event loop.
     */
    private static final class StreamCount {
        private final ConnectionGuard guard;
        private int open;

        StreamCount(ConnectionGuard guard) {
            this.guard = guard;
        }

        void opened(Http2StreamChannel ch) {
            if (open++ == 0) {
                guard.responseStarted();
            }
            ch.closeFuture().addListener(f -> {
                if (--open == 0) {
                    guard.responseEnded();
                }
            });
        }
    }

    /** The end of the connection's pipeline: frames for no stream (SETTINGS, PING, GOAWAY) and errors stop here. */
    private static final class ConnectionEnd extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // the codec already acted on them (acks, GOAWAY handling)
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.DEBUG, () -> "closing HTTP/2 connection " + ctx.channel().remoteAddress() + " after an error", cause);
            ctx.close();
        }
    }

    /** Over TLS: the protocol the client and server agreed on in ALPN, HTTP/1.1 when the client offered none. */
    private final class Alpn extends ApplicationProtocolNegotiationHandler {
        private final ConnectionGuard guard;
        private final boolean overloaded;
        private final Runnable http1;

        Alpn(ConnectionGuard guard, boolean overloaded, Runnable http1) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.guard = guard;
            this.overloaded = overloaded;
            this.http1 = http1;
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            switch (protocol) {
                case ApplicationProtocolNames.HTTP_2 -> configure(ctx.pipeline(), guard, overloaded);
                case ApplicationProtocolNames.HTTP_1_1 -> http1.run();
                default -> throw new IllegalStateException("ALPN selected " + protocol + ", which this server does not offer");
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // a client's bad handshake is the client's business: not a warning in the server's log
            LOG.log(Level.DEBUG, () -> "TLS handshake with " + ctx.channel().remoteAddress() + " failed: " + cause);
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Before a protocol is chosen (a reset during the handshake, say): Netty's handler would log a warning for
            // what the HTTP/1.1 handler logs at DEBUG once it is in place.
            LOG.log(Level.DEBUG, () -> "closing " + ctx.channel().remoteAddress() + " before a protocol was chosen: " + cause);
            ctx.close();
        }
    }

    /**
     * On plain connections: HTTP/2 if the first 24 bytes are the connection preface, HTTP/1.1 as soon as a byte differs
     * (a request line never starts with {@code PRI *}). The bytes read so far go on to the chosen handlers.
     */
    private final class PriorKnowledge extends ByteToMessageDecoder {
        private final ConnectionGuard guard;
        private final boolean overloaded;
        private final Runnable http1;

        PriorKnowledge(ConnectionGuard guard, boolean overloaded, Runnable http1) {
            this.guard = guard;
            this.overloaded = overloaded;
            this.http1 = http1;
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(in.readableBytes(), PREFACE.length);
            for (int i = 0; i < n; i++) {
                if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                    http1.run();
                    ctx.pipeline().remove(this); // hands the bytes read so far to the HTTP/1.1 codec
                    return;
                }
            }
            if (n == PREFACE.length) {
                configure(ctx.pipeline(), guard, overloaded);
                ctx.pipeline().remove(this); // hands the preface and what follows to the HTTP/2 codec
            }
        }
    }
}
