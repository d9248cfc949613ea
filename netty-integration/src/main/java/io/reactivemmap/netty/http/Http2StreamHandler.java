package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Answers the request of one HTTP/2 stream (a child channel of {@link Http2Server}'s connection) the way
 * {@link FileRequestHandler} answers an HTTP/1.1 request: the same {@link RequestPath}, {@link RootDirectory} and
 * {@link ResponsePlan}, so the same statuses, validators, conditionals and ranges (multipart included). The body goes
 * through the server's HTTP/2 {@link BodySender} as buffers that a small handler in front of this one turns into DATA
 * frames; the frame carrying the planned body's last byte ends the stream.
 *
 * <p>A malformed request (RFC 9113 §8.1.1; {@link Http2RequestHeaders}) resets the stream with {@code PROTOCOL_ERROR}
 * and gets no response; a stream error the codec finds (a window overflow, a frame the stream's state forbids) resets
 * it with that error's code. A body that cannot be completed (the file shrank, the source failed) resets the stream
 * with {@code INTERNAL_ERROR}; it never ends the stream short of {@code content-length}. A file truncated while the
 * stream's frames wait for the client's flow-control window is caught as each frame leaves the codec
 * ({@link Http2DataFrameCheck}): the frame is dropped whole and its write fails, so this stream is reset and the
 * connection's other streams go on. A body that found no mapping budget before it sent anything (its headers go out
 * with its first window) is answered {@code 503} instead. A client reset or a closed connection closes the stream
 * channel, which cancels the body and releases its windows.
 */
final class Http2StreamHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(Http2StreamHandler.class.getName());

    private final Http2Server http2;
    private final FileExchange exchange;
    private final boolean overloaded;
    private boolean requestSeen;
    /** The client's half of the stream ended (its END_STREAM arrived). */
    private boolean requestEnded;

    Http2StreamHandler(Http2Server http2, boolean overloaded) {
        this.http2 = http2;
        this.exchange = http2.server.exchange;
        this.overloaded = overloaded;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2HeadersFrame h) {
                requestEnded |= h.isEndStream();
                if (!requestSeen) {
                    requestSeen = true;
                    handle(ctx, h.headers(), h.isEndStream());
                }
            } else if (msg instanceof Http2DataFrame d) {
                // The body of a request refused with 400 or 405, or the empty end of a bodiless one: not read, released.
                requestEnded |= d.isEndStream();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            // A stream error the codec found: passed on to the end of the pipeline, where the stream channel resets the
            // stream with that error's code. A close from here would reset it with CANCEL, or mid-body (DataFrames)
            // with INTERNAL_ERROR.
            LOG.log(Level.DEBUG, () -> "resetting HTTP/2 stream " + ctx.channel() + " after " + cause);
            ctx.fireExceptionCaught(cause);
            return;
        }
        LOG.log(Level.DEBUG, () -> "closing HTTP/2 stream " + ctx.channel() + " after an error", cause);
        ctx.close();
    }

    private void handle(ChannelHandlerContext ctx, Http2Headers headers, boolean endStream) {
        String malformed = Http2RequestHeaders.malformed(headers);
        if (malformed != null) {
            // RFC 9113 §8.1.1: a stream error of type PROTOCOL_ERROR, not a response
            LOG.log(Level.DEBUG, () -> "resetting HTTP/2 stream " + ctx.channel() + ": malformed request, "
                    + AccessLogRecord.printable(malformed));
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR));
            ctx.close();
            return;
        }
        long start = System.nanoTime();
        String method = headers.method() == null ? "-" : headers.method().toString();
        String path = headers.path() == null ? "-" : headers.path().toString();
        CharSequence length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        boolean hasBody = !endStream && (length == null || !"0".contentEquals(length));
        // the connection's address: a stream channel has none of its own
        Channel connection = ctx.channel().parent();
        java.net.SocketAddress remote = connection != null ? connection.remoteAddress() : ctx.channel().remoteAddress();
        FileExchange.Request request = new FileExchange.Request(method, path, -1, -1, List.of(), new DefaultHttpHeaders(),
                hasBody, remote, "HTTP/2", start);
        ServerState server = http2.server;
        server.requests.increment();
        if (overloaded) {
            error(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "more than " + server.options.maxConnections()
                    + " connections");
            return;
        }
        HttpHeaders requestHeaders = new DefaultHttpHeaders();
        try {
            for (Map.Entry<CharSequence, CharSequence> e : headers) {
                if (e.getKey().length() > 0 && e.getKey().charAt(0) != ':') {
                    requestHeaders.add(e.getKey(), e.getValue());
                }
            }
        } catch (IllegalArgumentException e) {
            error(ctx, request, HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        FileExchange.Request asked = new FileExchange.Request(method, path, -1, -1, List.of(), requestHeaders, hasBody,
                remote, "HTTP/2", start);
        serve(ctx, asked, exchange.answer(asked));
    }

    private void serve(ChannelHandlerContext ctx, FileExchange.Request request, FileExchange.FileResponse answer) {
        RootDirectory.Opened file = answer.file();
        if (file == null) {
            respond(ctx, answer);
            return;
        }
        Http2Headers response = responseHeaders(answer.status(), answer.headers());
        long bodyLength = answer.bodyLength();
        DataFrames frames = new DataFrames(bodyLength);
        ctx.pipeline().addBefore(ctx.name(), "data-frames", frames);
        Http2DataFrameCheck.Sent sent = Http2DataFrameCheck.countSent(ctx.channel()); // for the access log
        ChannelFuture body;
        try {
            // the headers go out with the body's first window (see BodySender.refusedForBudget)
            body = http2.server.bodies.http2().send(ctx, new DefaultHttp2HeadersFrame(response, false), file, answer.body());
        } catch (RuntimeException e) {
            answer.close();
            LOG.log(Level.WARNING, () -> "could not start the body of " + file.path(), e);
            reset(ctx);
            finished(ctx, answer, AccessLogRecord.Outcome.FAILED, Http2DataFrameCheck.Sent.forget(sent));
            return;
        }
        body.addListener((ChannelFutureListener) done -> {
            boolean shrank = !done.isSuccess() && file.shrank(); // asked before the file is closed
            answer.close();
            if (!done.isSuccess() && BodySender.refusedForBudget(ctx, done)) {
                // Nothing was sent on the stream, not even the headers: it can still be refused properly.
                LOG.log(Level.DEBUG, () -> "no mapping budget for " + file.path() + " on " + ctx.channel() + ", answering 503: "
                        + done.cause().getMessage());
                ctx.pipeline().remove(DataFrames.class);
                Http2DataFrameCheck.Sent.forget(sent);
                error(ctx, request, HttpResponseStatus.SERVICE_UNAVAILABLE, "the server is busy, try again later");
                return;
            }
            // The frame carrying the body's last byte ends the stream, and the stream channel closes as soon as that
            // frame is written: possibly before the sender's own future completes, and a sender that sees its channel
            // close fails although nothing was lost. Once that frame was passed on, its write is the body's outcome.
            ChannelFuture last = frames.lastFrame();
            if (done.isSuccess() || last == null) {
                bodyDone(ctx, answer, sent, file, done, shrank);
            } else {
                last.addListener((ChannelFutureListener) f -> bodyDone(ctx, answer, sent, file, f, shrank));
            }
        });
    }

    /** @param sent this stream's DATA bytes the socket took, or null where they are not counted */
    private void bodyDone(ChannelHandlerContext ctx, FileExchange.FileResponse answer,
                          Http2DataFrameCheck.@Nullable Sent sent, RootDirectory.Opened file, ChannelFuture outcome,
                          boolean shrank) {
        long sentBytes = Http2DataFrameCheck.Sent.forget(sent); // the frames written before the body ended
        if (!outcome.isSuccess()) {
            // A body cut short cannot be repaired: the client must see the stream reset, never an END_STREAM before
            // content-length is reached.
            LOG.log(Level.DEBUG, () -> "body of " + file.path() + " on " + ctx.channel() + " failed", outcome.cause());
            AccessLogRecord.Outcome how = shrank ? AccessLogRecord.Outcome.FAILED : FileRequestHandler.failure(ctx, outcome);
            reset(ctx);
            finished(ctx, answer, how, sentBytes);
            return;
        }
        finished(ctx, answer, AccessLogRecord.Outcome.COMPLETE, answer.bodyLength());
    }

    private static Http2Headers responseHeaders(HttpResponseStatus status, HttpHeaders headers) {
        Http2Headers h = new DefaultHttp2Headers().status(status.codeAsText());
        HttpConversionUtil.toHttp2Headers(headers, h); // lower-case names, no connection-specific fields
        if (!h.contains(HttpHeaderNames.DATE)) { // the exchange dates a response with Expires
            h.set(HttpHeaderNames.DATE, HttpDates.now());
        }
        h.set(HttpHeaderNames.SERVER, "reactive-mmap");
        return h;
    }

    private void error(ChannelHandlerContext ctx, FileExchange.Request request, HttpResponseStatus status,
                       @Nullable String message) {
        respond(ctx, exchange.answerWith(request, FileExchange.FileResponse.error(status, String.valueOf(message),
                HttpMethod.HEAD.name().equals(request.method()), false)));
    }

    /** Writes a response whose body, if any, is bytes in memory (an error text, the stats). */
    private void respond(ChannelHandlerContext ctx, FileExchange.FileResponse answer) {
        Http2Headers h = responseHeaders(answer.status(), answer.headers());
        long sent = answer.bodyLength();
        ChannelFuture f;
        if (answer.body().isEmpty()) {
            f = ctx.writeAndFlush(new DefaultHttp2HeadersFrame(h, true));
        } else {
            ctx.write(new DefaultHttp2HeadersFrame(h, false));
            f = ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(
                    ((BodyPart.Bytes) answer.body().getFirst()).bytes()), true));
        }
        // a body in memory is one DATA frame (an error text): all of it went out, or (for the access log) none
        f.addListener((ChannelFutureListener) done -> finished(ctx, answer,
                done.isSuccess() ? AccessLogRecord.Outcome.COMPLETE : FileRequestHandler.failure(ctx, done),
                done.isSuccess() ? sent : 0));
    }

    private void finished(ChannelHandlerContext ctx, FileExchange.FileResponse answer, AccessLogRecord.Outcome outcome,
                          long sentBytes) {
        answer.complete(outcome, sentBytes);
        boolean success = outcome == AccessLogRecord.Outcome.COMPLETE;
        if (success && !requestEnded && ctx.channel().isActive()) {
            // The response is complete but the client is still sending (a body we do not read): end its half too
            // (RFC 9113 §8.1: RST_STREAM with NO_ERROR after a complete response).
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR));
        }
        if (overloaded) {
            // GOAWAY, then a FIN: the client reads the 503 and closes. Closing at once would reset the connection if its
            // frames (SETTINGS ack, WINDOW_UPDATE) were still unread, and a reset can cost the client the 503 itself.
            Channel connection = ctx.channel().parent();
            connection.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> {
                if (connection instanceof DuplexChannel duplex && connection.isActive()) {
                    duplex.shutdownOutput();
                }
                connection.eventLoop().schedule(() -> connection.close(), 5, TimeUnit.SECONDS); // a client that stays
            });
        }
    }

    /** Ends the stream abnormally (RST_STREAM with INTERNAL_ERROR) unless it is already gone. */
    private static void reset(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
        }
        ctx.close();
    }

    /**
     * Turns the body's buffers into DATA frames on the way out; the frame that carries the planned body's last byte
     * ends the stream, and its write is kept ({@link #lastFrame}): it, not the body sender's future, says whether the
     * whole body went out. A buffer beyond the planned length is refused (released, its write failed): that would be a
     * bug in a body sender, and the stream must not carry more than {@code content-length}. A close before the whole
     * body was written (the body writer aborting on a source error) resets the stream with {@code INTERNAL_ERROR}
     * rather than the {@code CANCEL} a stream channel sends when it is closed.
     */
    static final class DataFrames extends ChannelOutboundHandlerAdapter {
        private long remaining;
        /** The write of the frame that carries the body's last byte (and END_STREAM), once it was passed on. */
        private @Nullable ChannelFuture lastFrame;

        DataFrames(long length) {
            this.remaining = length;
        }

        /** The write of the frame that ends the stream, or null if the body's last byte was not written (yet). */
        @Nullable ChannelFuture lastFrame() {
            return lastFrame;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!(msg instanceof ByteBuf buf)) {
                ctx.write(msg, promise);
                return;
            }
            int n = buf.readableBytes();
            if (n > remaining) {
                buf.release();
                promise.setFailure(new IllegalStateException("a body buffer of " + n + " bytes with only " + remaining
                        + " bytes of the planned body left"));
                return;
            }
            remaining -= n;
            if (remaining == 0) {
                ChannelPromise last = promise.unvoid();
                lastFrame = last;
                ctx.write(new DefaultHttp2DataFrame(buf, true), last);
                return;
            }
            ctx.write(new DefaultHttp2DataFrame(buf, false), promise);
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            if (remaining > 0 && ctx.channel().isActive()) {
                ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
            }
            ctx.close(promise);
        }
    }
}
