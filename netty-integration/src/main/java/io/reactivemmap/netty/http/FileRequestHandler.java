package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;

/**
 * Answers one connection's requests, one at a time and in order (pipelined requests wait in a short queue while
 * reading from the socket is paused). Responses are never aggregated: headers first, then the body through the
 * connection's {@link BodySender}.
 */
final class FileRequestHandler extends ChannelInboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(FileRequestHandler.class.getName());
    /**
     * Requests queued behind the one being answered. Reading stops (auto-read off) as soon as one is queued, so the queue
     * only ever holds what the last read or two already brought in (at most a few hundred KiB of request heads); the
     * cap is a backstop against a flood of tiny requests in those bytes, not the flow control. It was 16, which closed
     * the connection of an ordinary pipelining client (17+ requests in one packet) as soon as one response had to wait
     * for the socket.
     */
    static final int MAX_PIPELINED = 1024;

    private final ServerState server;
    private final FileExchange exchange;
    private final ConnectionGuard guard;
    private final ArrayDeque<HttpRequest> pipelined = new ArrayDeque<>();
    private boolean responding;

    FileRequestHandler(ServerState server, ConnectionGuard guard) {
        this.server = server;
        this.exchange = server.exchange;
        this.guard = guard;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            ReferenceCountUtil.release(msg); // a DefaultHttpRequest holds no buffer, but a FullHttpRequest would
            if (responding) {
                if (pipelined.size() >= MAX_PIPELINED) {
                    ctx.close();
                    return;
                }
                pipelined.add(request);
                ctx.channel().config().setAutoRead(false);
                return;
            }
            handle(ctx, request);
        } else if (msg instanceof HttpContent content) {
            // The body of a request we answer without reading it: GET/HEAD with a body are refused and the
            // connection closed, so this is only ever the empty last content of a bodiless request.
            content.release();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.DEBUG, () -> "closing " + ctx.channel().remoteAddress() + " after an error", cause);
        ctx.close();
    }

    private void handle(ChannelHandlerContext ctx, HttpRequest request) {
        long start = System.nanoTime();
        server.requests.increment();
        responding = true;
        guard.responseStarted();
        boolean hasBody = hasBody(request);
        HttpVersion version = request.protocolVersion();
        FileExchange.Request asked = new FileExchange.Request(request.method().name(), request.uri(),
                version.majorVersion(), version.minorVersion(), request.headers().getAll(HttpHeaderNames.HOST),
                request.headers(), hasBody, ctx.channel().remoteAddress(), version.text(), start);
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            error(ctx, request, asked, status, "malformed request", false);
            return;
        }
        // a response that starts during a drain is its connection's last (FileServer#drain)
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !server.draining;
        FileExchange.FileResponse answer = exchange.answer(asked);
        send(ctx, request, asked, keepAlive && !answer.closeConnection(), answer);
    }

    private void send(ChannelHandlerContext ctx, HttpRequest request, FileExchange.Request asked, boolean keepAlive,
                      FileExchange.FileResponse answer) {
        RootDirectory.Opened file = answer.file();
        if (file == null) {
            respond(ctx, request, answer, keepAlive);
            return;
        }
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, answer.status(), answer.headers());
        decorate(response, request, keepAlive);
        long bodyLength = answer.bodyLength();
        long before = guard.queued(); // where this response's bytes begin: the ones before it are all written
        ChannelFuture body;
        try {
            body = server.bodies.http1().send(ctx, response, file, answer.body());
        } catch (RuntimeException e) {
            answer.close();
            LOG.log(Level.WARNING, () -> "could not start the body of " + file.path(), e);
            ctx.close();
            finished(ctx, answer, AccessLogRecord.Outcome.FAILED, 0, false);
            return;
        }
        body.addListener((ChannelFutureListener) done -> {
            // asked before the file is closed: a body that failed because the file shrank is the server's failure
            boolean shrank = !done.isSuccess() && file.shrank();
            answer.close();
            if (!done.isSuccess() && BodySender.refusedForBudget(ctx, done)) {
                // Nothing was sent, not even the headers: the request can still be refused properly.
                LOG.log(Level.DEBUG, () -> "no mapping budget for " + file.path() + ", answering 503: " + done.cause().getMessage());
                error(ctx, request, asked, HttpResponseStatus.SERVICE_UNAVAILABLE, "the server is busy, try again later",
                        keepAlive);
                return;
            }
            if (!done.isSuccess()) {
                // A body cut short cannot be repaired: the client must see the connection end before
                // Content-Length is reached, never padding.
                LOG.log(Level.DEBUG, () -> "body of " + file.path() + " failed", done.cause());
                AccessLogRecord.Outcome outcome = shrank ? AccessLogRecord.Outcome.FAILED : failure(ctx, done);
                long sent = bodySent(before, response, bodyLength); // before the close below: see ConnectionGuard#written
                ctx.close();
                finished(ctx, answer, outcome, sent, false);
                return;
            }
            // the body's writes all succeeded: its bytes went out, whatever becomes of the (empty) last content
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener((ChannelFutureListener) last ->
                    finished(ctx, answer, last.isSuccess() ? AccessLogRecord.Outcome.COMPLETE : failure(ctx, last),
                            bodyLength, keepAlive));
        });
    }

    private void error(ChannelHandlerContext ctx, HttpRequest request, FileExchange.Request asked,
                       HttpResponseStatus status, String message, boolean keepAlive) {
        respond(ctx, request, exchange.answerWith(asked, FileExchange.FileResponse.error(status, message,
                HttpMethod.HEAD.equals(request.method()), !keepAlive)), keepAlive);
    }

    /** Writes a response whose body, if any, is bytes in memory (an error text): one full response. */
    private void respond(ChannelHandlerContext ctx, HttpRequest request, FileExchange.FileResponse answer,
                         boolean keepAlive) {
        ByteBuf content = Unpooled.EMPTY_BUFFER;
        if (!answer.body().isEmpty()) {
            content = Unpooled.buffer((int) answer.bodyLength());
            for (BodyPart part : answer.body()) {
                content.writeBytes(((BodyPart.Bytes) part).bytes());
            }
        }
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer.status(), content);
        response.headers().set(answer.headers());
        decorate(response, request, keepAlive);
        long bytes = content.readableBytes();
        long before = guard.queued();
        ctx.writeAndFlush(response).addListener((ChannelFutureListener) f ->
                finished(ctx, answer, f.isSuccess() ? AccessLogRecord.Outcome.COMPLETE : failure(ctx, f),
                        f.isSuccess() ? bytes : bodySent(before, response, bytes), keepAlive));
    }

    /**
     * The body bytes of {@code response} the socket took, for the access log of a response that ended early: what the
     * {@link ConnectionGuard} counts the socket took since {@code before} ({@link ConnectionGuard#queued()} just
     * before the response was written), less the response's head, within {@code [0, planned]}. Under TLS the count is of ciphertext, so it
     * includes the records' overhead (the head is subtracted as plaintext). Call before closing the channel.
     */
    private long bodySent(long before, HttpResponse response, long planned) {
        long socket = guard.written() - before;
        return Math.max(0, Math.min(planned, socket - headLength(response)));
    }

    /** The bytes of {@code response}'s head as the HTTP/1.1 encoder writes it: status line, field lines, blank line. */
    static long headLength(HttpResponse response) {
        HttpResponseStatus status = response.status();
        long n = response.protocolVersion().text().length() + 1 + status.codeAsText().length() + 1
                + status.reasonPhrase().length() + 2;
        for (java.util.Iterator<java.util.Map.Entry<CharSequence, CharSequence>> i = response.headers()
                .iteratorCharSequence(); i.hasNext(); ) {
            java.util.Map.Entry<CharSequence, CharSequence> h = i.next();
            n += h.getKey().length() + 2 + h.getValue().length() + 2;
        }
        return n + 2;
    }

    /**
     * How a write that failed ended (see {@link AccessLogRecord.Outcome#ofFailure}).
     */
    static AccessLogRecord.Outcome failure(ChannelHandlerContext ctx, ChannelFuture failed) {
        return AccessLogRecord.Outcome.ofFailure(failed.cause(), ctx.channel().isActive());
    }

    private static void decorate(HttpResponse response, HttpRequest request, boolean keepAlive) {
        if (!response.headers().contains(HttpHeaderNames.DATE)) { // the exchange dates a response with Expires
            response.headers().set(HttpHeaderNames.DATE, HttpDates.now());
        }
        response.headers().set(HttpHeaderNames.SERVER, "reactive-mmap");
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private void finished(ChannelHandlerContext ctx, FileExchange.FileResponse answer, AccessLogRecord.Outcome outcome,
                          long sentBytes, boolean keepAlive) {
        answer.complete(outcome, sentBytes);
        boolean success = outcome == AccessLogRecord.Outcome.COMPLETE;
        responding = false;
        guard.responseEnded();
        if (!success || !keepAlive || server.draining) {
            ctx.close(); // during a drain the response that was in flight when it started is the connection's last
            pipelined.clear();
            return;
        }
        HttpRequest next = pipelined.poll();
        if (next != null) {
            handle(ctx, next);
        } else {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /** Whether a response is in progress (an idle keep-alive connection has none). Call on the event loop. */
    boolean responding() {
        return responding;
    }

    private static boolean hasBody(HttpRequest request) {
        if (HttpUtil.isTransferEncodingChunked(request)) {
            return true;
        }
        try {
            return HttpUtil.getContentLength(request, 0L) > 0;
        } catch (NumberFormatException e) {
            return true; // an unreadable length: treat as a body, which closes the connection
        }
    }
}
