package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsAckFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * writability and the byte budget together decide when the next window is mapped, and the client's window decides
 * how large it is ({@link PeerWindow}: 64 KiB at least, {@link FileServerOptions#windowSize()} at most): a stream
 * whose client grants a few KiB holds one 64 KiB window, not megabytes. All streams of a connection together hold
 * at most {@link FileServerOptions#maxWindowsPerConnection()} windows and
 * {@link FileServerOptions#maxBytesInFlightPerConnection()} bytes ({@link ConnectionBudget}); streams over that wait
 * for their siblings' windows, without headers. The response headers go out with a body's first window, so a stream
 * that finds the server's budget spent for {@link FileServerOptions#budgetWaitTimeout()} is answered {@code 503}
 * instead. Right after the codec, the {@link Http2DataFrameCheck} checks the file under each DATA frame as the frame
 * leaves the flow controller: a frame of a truncated file is dropped whole and only its stream is reset. Over TLS the
 * frames' payloads are slices of the mapped buffers, regrouped into whole TLS records by {@link Http2TlsRecords} (so
 * the {@code SslHandler} does not copy them) and checked once more by the {@link TlsWindowGuard} like HTTP/1.1 bodies.
 *
 * <h2>Errors</h2>
 * Netty's codec finds the protocol errors, with header validation on (RFC 9113 §8.2, §8.3.1: pseudo-headers,
 * connection-specific fields, upper-case names) and the required pseudo-headers checked; {@link Http2RequestHeaders}
 * adds what it leaves out. A connection error is answered by the codec itself: a GOAWAY with the error's code and the
 * last stream this server created (see {@link Codec}), then the close; nothing in front of it may close the connection
 * first (that sent {@code GOAWAY NO_ERROR}). A stream error resets the stream with its own code, a malformed request is
 * a stream error {@code PROTOCOL_ERROR} ({@link Http2StreamHandler}).
 *
 * <h2>Limits</h2>
 * {@link FileServerOptions#maxConcurrentStreams()} streams per connection, request header lists up to
 * {@value #MAX_HEADER_LIST_SIZE} bytes (larger ones get 431), at most {@value #MAX_QUEUED_ACKS} PING and SETTINGS
 * acknowledgements waiting to be written (a client that sends them without reading the answers; counted here,
 * {@link ConnectionEnd}, in place of Netty's own count, which logs a stack trace per connection), and Netty's defaults
 * against other floods (at most 200 stream resets by the client per 30 s, a bounded number of empty DATA and small
 * CONTINUATION frames). A flood ends the connection with {@code GOAWAY ENHANCE_YOUR_CALM} and is logged in one line at
 * {@code INFO}, at most one such line per {@link #FLOOD_LOG_INTERVAL} for the whole server (the next line counts those
 * left out): an attacker opening connection after connection does not control the log's volume.
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
    /** PING and SETTINGS acknowledgements a connection may have waiting to be written: Netty's default bound. */
    static final int MAX_QUEUED_ACKS = Http2CodecUtil.DEFAULT_MAX_QUEUED_CONTROL_FRAMES;
    /** At most one line about floods per this interval, for the whole server. */
    static final Duration FLOOD_LOG_INTERVAL = Duration.ofSeconds(10);

    final ServerState server;
    private final Http2Settings settings;
    private final RateLimitedLog floods = new RateLimitedLog(LOG, Level.INFO, FLOOD_LOG_INTERVAL);

    /** HTTP/2 for {@code server}; its streams send bodies with {@code server.bodies.http2()}. */
    Http2Server(ServerState server) {
        this.server = server;
        FileServerOptions options = server.options;
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
        Http2FrameCodec codec = new CodecBuilder(floods)
                .initialSettings(settings)
                // RFC 9113 §8.2-§8.3: names, pseudo-headers, connection-specific fields (on by default; said here because
                // Http2RequestHeaders relies on it), and the pseudo-headers a request must have (off by default)
                .validateHeaders(true)
                .validateRequiredPseudoHeaders(true)
                // PINGs and SETTINGS are acknowledged by ConnectionEnd, which bounds the acknowledgements queued; Netty's
                // own bound would log each flooding connection with a stack trace at INFO (Http2ControlFrameLimitEncoder)
                .autoAckPingFrame(false)
                .autoAckSettingsFrame(false)
                .encoderEnforceMaxQueuedControlFrames(0)
                // FileServer.close() closes every connection: do not wait for open streams (the default waits 30 s);
                // FileServer.drain() waits for them (see goAway)
                .gracefulShutdownTimeoutMillis(0)
                .build();
        StreamCount streams = new StreamCount(guard, server.metrics);
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
        p.addLast("h2-end", new ConnectionEnd(codec, MAX_QUEUED_ACKS));
    }

    /**
     * Starts the graceful close of an HTTP/2 connection ({@link FileServer#drain}): Netty's codec sends
     * {@code GOAWAY NO_ERROR} naming the last stream it created, finishes the streams open (a stream the client opens
     * later is refused by the codec), and closes the connection when the last one ends; at once if none is open. No
     * timeout of its own: the drain's timeout ends it with {@link #closeNow}. Call on the connection's event loop.
     *
     * @return false if {@code connection} does not speak HTTP/2 (yet)
     */
    static boolean goAway(Channel connection) {
        Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
        if (codec == null) {
            return false;
        }
        codec.gracefulShutdownTimeoutMillis(-1); // wait for the open streams, however long
        connection.close(); // through the codec: GOAWAY, then the close once no stream is active
        return true;
    }

    /**
     * Closes {@code connection} without waiting for its open streams, even during a {@link #goAway}. Call on the
     * connection's event loop.
     */
    static void closeNow(Channel connection) {
        Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
        if (codec != null) {
            // a second close through the codec schedules its own close task after this timeout (0: at once)
            codec.gracefulShutdownTimeoutMillis(0);
        }
        connection.close();
    }

    /** Builds a {@link Codec}: Netty's builder with every option, only the codec's class is ours. */
    private static final class CodecBuilder extends Http2FrameCodecBuilder {
        private final RateLimitedLog floods;

        CodecBuilder(RateLimitedLog floods) {
            this.floods = floods;
            server(true);
        }

        @Override
        protected Http2FrameCodec build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                        Http2Settings initialSettings) {
            Codec codec = new Codec(encoder, decoder, initialSettings, decoupleCloseAndGoAway(), flushPreface(), floods);
            codec.gracefulShutdownTimeoutMillis(gracefulShutdownTimeoutMillis());
            return codec;
        }
    }

    /**
     * Netty's frame codec, with two changes to its connection errors. The GOAWAY names the last stream this server
     * created (the highest it may have acted on) rather than 2^31-1: Netty sends 2^31-1 for every connection error it
     * raises itself, since a stream whose header block failed to decode might have been acted on (netty/netty#10670);
     * here a request is acted on only once its headers are decoded and its stream created, and every request served
     * is a GET or HEAD, safe to send again on a new connection. And a flood ({@code ENHANCE_YOUR_CALM}) is logged on the
     * server's {@link RateLimitedLog} (one line, no stack trace), other connection errors (a client's mistake or attack,
     * not the server's) at {@code DEBUG}.
     */
    private static final class Codec extends Http2FrameCodec {
        private final RateLimitedLog floods;

        Codec(Http2ConnectionEncoder encoder, Http2ConnectionDecoder decoder, Http2Settings initialSettings,
              boolean decoupleCloseAndGoAway, boolean flushPreface, RateLimitedLog floods) {
            super(encoder, decoder, initialSettings, decoupleCloseAndGoAway, flushPreface);
            this.floods = floods;
        }

        @Override
        protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                         @Nullable Http2Exception http2Ex) {
            // (what Netty's handler does with an error that is not an Http2Exception)
            Http2Exception error = http2Ex != null ? http2Ex : new Http2Exception(Http2Error.INTERNAL_ERROR,
                    cause.getMessage() == null ? "internal error" : cause.getMessage(), cause);
            if (error.error() == Http2Error.ENHANCE_YOUR_CALM) {
                floods.log(() -> "closing HTTP/2 connection " + ctx.channel().remoteAddress() + " with GOAWAY "
                        + error.error() + ": " + error.getMessage());
            } else {
                LOG.log(Level.DEBUG, () -> "closing HTTP/2 connection " + ctx.channel().remoteAddress() + " with GOAWAY "
                        + error.error() + ": " + error.getMessage(), cause);
            }
            Http2Exception sent = error.shutdownHint() == Http2Exception.ShutdownHint.HARD_SHUTDOWN
                    ? new LastStreamCreated(error) : error;
            // the cause too: what the pipeline sees of the error (ConnectionEnd) is then always an Http2Exception
            super.onConnectionError(ctx, outbound, sent, sent);
        }
    }

    /**
     * A connection error as Netty raised it (its cause), with the hint under which Netty names the last stream created
     * in its GOAWAY (and still closes the connection once the GOAWAY is written, without waiting for open streams).
     */
    private static final class LastStreamCreated extends Http2Exception {
        LastStreamCreated(Http2Exception error) {
            super(error.error(), error.getMessage(), error, ShutdownHint.NO_SHUTDOWN);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // the cause has the stack; a client can raise these at will
        }
    }

    /**
     * Tells the {@link ConnectionGuard} when the connection has streams open (a response in progress: the slow-reader
     * rate applies) and when the last one closed (idleness counts from then), and the metrics of every stream. On the
     * event loop.
     */
    private static final class StreamCount {
        private final ConnectionGuard guard;
        private final ServerMetrics metrics;
        private int open;

        StreamCount(ConnectionGuard guard, ServerMetrics metrics) {
            this.guard = guard;
            this.metrics = metrics;
        }

        void opened(Http2StreamChannel ch) {
            metrics.streamOpened();
            if (open++ == 0) {
                guard.responseStarted();
            }
            ch.closeFuture().addListener(f -> {
                metrics.streamClosed();
                if (--open == 0) {
                    guard.responseEnded();
                }
            });
        }
    }

    /**
     * The end of the connection's pipeline, where frames for no stream (SETTINGS, PING, GOAWAY) and connection errors
     * arrive. Acknowledges the client's PINGs and SETTINGS (the codec's own acknowledgements are off) and counts those
     * not yet written: a client that sends them without reading the answers would have them queue without bound. Past
     * {@code maxQueued} (after one flush) the connection ends with {@code GOAWAY ENHANCE_YOUR_CALM}; in practice that
     * GOAWAY stays behind the acknowledgements the client does not read, as with Netty's own bound.
     */
    private static final class ConnectionEnd extends ChannelInboundHandlerAdapter {
        private final Http2FrameCodec codec;
        private final int maxQueued;
        /** Acknowledgements written to the pipeline whose write has not completed. */
        private int queued;
        private final ChannelFutureListener written = f -> queued--;
        private boolean flooded;

        ConnectionEnd(Http2FrameCodec codec, int maxQueued) {
            this.codec = codec;
            this.maxQueued = maxQueued;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof Http2PingFrame ping && !ping.ack()) {
                    acknowledge(ctx, new DefaultHttp2PingFrame(ping.content(), true));
                } else if (msg instanceof Http2SettingsFrame) {
                    // the codec applies the client's settings when their acknowledgement is written
                    acknowledge(ctx, Http2SettingsAckFrame.INSTANCE);
                }
            } finally {
                ReferenceCountUtil.release(msg); // the codec already acted on the rest (GOAWAY handling)
            }
        }

        private void acknowledge(ChannelHandlerContext ctx, Object ack) {
            if (flooded) {
                return; // the connection is closing
            }
            if (queued >= maxQueued) {
                ctx.flush(); // some may only wait for the flush at the end of this read
            }
            if (queued >= maxQueued) {
                flooded = true;
                // through the codec's own connection-error path (as Netty's own bound does): GOAWAY, log, close
                codec.onError(ctx.pipeline().context(codec), true, Http2Exception.connectionError(
                        Http2Error.ENHANCE_YOUR_CALM, "more than %d PING and SETTINGS acknowledgements queued: the client "
                                + "does not read them", maxQueued));
                return;
            }
            queued++;
            ctx.write(ack).addListener(written);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
                // A connection error, shown to the pipeline by the codec before it writes its GOAWAY
                // (Http2FrameCodec.onConnectionError; Codec makes every such error an Http2Exception); the codec closes
                // the connection once that is written. A close from here would come first and send GOAWAY(NO_ERROR).
                return;
            }
            LOG.log(Level.DEBUG, () -> "closing HTTP/2 connection " + ctx.channel().remoteAddress() + " after " + cause);
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
