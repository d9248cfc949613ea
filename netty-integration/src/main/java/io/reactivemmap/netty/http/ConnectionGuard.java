package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.ScheduledFuture;
import org.jspecify.annotations.Nullable;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes connections that hold resources without using them: idle ones (no request and no response in progress for
 * {@code idleTimeout}), slow senders (a request head not complete {@code requestHeadTimeout} after its first byte: a
 * client trickling its headers keeps a connection busy without ever being idle; it gets a {@code 408} before the
 * close) and slow readers (fewer than
 * {@code minRate * period} bytes taken off the socket during a {@code period} while a response is being sent).
 *
 * <p>Sits next to the socket, so it counts the bytes the transport actually wrote — partial writes included — as the
 * bytes it passed on minus those the channel's outbound buffer still holds, while a write's completion alone would say
 * nothing during a 1 GiB region. Netty's outbound buffer counts a file region as 0 bytes (its default message size
 * estimator), so the guard keeps the regions it passed on and subtracts what each has still to transfer. Netty's own idle handler is
 * no use here: it treats a long-running write as idleness, and watermarks only signal.
 *
 * <p>The same count feeds {@link ServerMetrics#bytesSent}: what the socket took since the last report, at every check
 * (a quarter of the shortest timeout: 2.5 s with the defaults), when a response ends and when the server closes the
 * connection, so that a long download shows its progress while it runs. The bytes of a connection the client drops are
 * counted up to its last check. Each close for a timeout is told to {@link ServerMetrics#timedOut}.
 *
 * <p>And the access log's body bytes of an HTTP/1.1 response that ended early: {@link FileRequestHandler} takes
 * {@link #queued()} before the response and {@link #written()} when its body fails, less the response head.
 */
final class ConnectionGuard extends ChannelDuplexHandler {
    private static final System.Logger LOG = System.getLogger(ConnectionGuard.class.getName());

    private final long idleTimeoutNanos;
    private final long headTimeoutNanos;
    /** When the first byte of the request head being received arrived; 0 when no head is being received. */
    private long headStart;
    private final long minRate;
    private final long periodNanos;
    private final long checkNanos;
    private ScheduledFuture<?> timer;
    /** Bytes handed to the transport (queued in its outbound buffer) so far, less the unsent rest of failed regions. */
    private long queued;
    /** File regions handed to the transport and not yet released by it (in order; usually none or one). */
    private final java.util.ArrayDeque<FileRegion> regions = new java.util.ArrayDeque<>();
    private boolean responding;
    private long lastActivity;
    private long periodStart;
    private long periodStartWritten;
    /** HTTP/2: reads are frames of many streams, not one request head; see {@link #multiplexed()}. */
    private boolean multiplexed;
    private final ServerMetrics metrics;
    /** Of {@link #written()}, what {@link #reportSent} has told {@link #metrics} so far. */
    private long reported;
    /** The channel's outbound buffer, kept for {@link #written()} after a close (the channel forgets it then). */
    private @Nullable ChannelOutboundBuffer outbound;

    ConnectionGuard(Duration idleTimeout, long minRate, Duration period, Duration requestHeadTimeout) {
        this(idleTimeout, minRate, period, requestHeadTimeout, ServerMetrics.NONE);
    }

    ConnectionGuard(Duration idleTimeout, long minRate, Duration period, Duration requestHeadTimeout,
                    ServerMetrics metrics) {
        this.metrics = metrics;
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.headTimeoutNanos = requestHeadTimeout.toNanos();
        this.minRate = minRate;
        this.periodNanos = period.toNanos();
        long shortest = Math.min(headTimeoutNanos,
                periodNanos > 0 && minRate > 0 ? Math.min(idleTimeoutNanos, periodNanos) : idleTimeoutNanos);
        this.checkNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), shortest / 4);
    }

    private @Nullable ChannelHandlerContext context;

    /**
     * Bytes the transport has written to this connection's socket so far. Call on the event loop. Also right after the
     * connection closed, from the listener of the first write the close failed (how a response learns how much of its
     * body went out when the client left): the closed channel's outbound buffer, detached but kept here, still holds
     * the writes not yet failed, so they are not counted as sent. Later (once all were failed) it counts too much.
     */
    long written() {
        ChannelHandlerContext ctx = context;
        return ctx == null ? 0 : transferred(ctx);
    }

    /**
     * Bytes handed to the transport so far: what {@link #written()} comes to once they are all written. Taken when a
     * response starts (the ones before it all written, their writes done), it is where that response's bytes begin,
     * exactly, while {@link #written()} would still count the last write of the one before as pending. Call on the
     * event loop.
     */
    long queued() {
        return queued;
    }

    /** A request head is complete and its response starts: slow-reader periods count from now. Call on the event loop. */
    void responseStarted() {
        responding = true;
        headStart = 0;
        periodStart = System.nanoTime();
        periodStartWritten = written();
    }

    /** The response ended: idleness counts from now. Call on the event loop. */
    void responseEnded() {
        responding = false;
        lastActivity = System.nanoTime();
        reportSent();
    }

    /**
     * Tells {@link #metrics} the bytes the socket took since the last report. Only while the channel is open: once it
     * is closed its outbound buffer is gone and {@link #written()} would count what was never sent.
     */
    private void reportSent() {
        ChannelHandlerContext ctx = context;
        if (ctx == null || ctx.channel().unsafe().outboundBuffer() == null) {
            return;
        }
        long now = transferred(ctx);
        if (now > reported) {
            metrics.bytesSent(now - reported);
            reported = now;
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
        reportSent(); // the server closes: the last bytes the socket took, while the outbound buffer still tells
        super.close(ctx, promise);
    }

    /**
     * The connection switched to HTTP/2. From now on {@link #responseStarted()} and {@link #responseEnded()} mark the
     * first stream opening and the last one closing, and bytes read no longer count as activity or as a request head:
     * HTTP/2 clients send frames (pings, window updates, settings) at any time, so a connection with no stream open is
     * closed {@code idleTimeout} after its last stream ended, whatever it sends, and a request head trickled in is
     * bounded by that too. Call on the event loop.
     */
    void multiplexed() {
        multiplexed = true;
        headStart = 0;
        lastActivity = System.nanoTime();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        outbound = ctx.channel().unsafe().outboundBuffer();
        lastActivity = System.nanoTime();
        timer = ctx.executor().scheduleAtFixedRate(() -> check(ctx), checkNanos, checkNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.cancel(false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        timer.cancel(false);
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!multiplexed) {
            lastActivity = System.nanoTime();
            if (!responding && headStart == 0) {
                headStart = lastActivity; // the first bytes of the next request head
            }
        }
        super.channelRead(ctx, msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // Counted when queued; written() subtracts what the channel's outbound buffer still holds. No promise of our
        // own per write: a 64 KiB response makes three writes, and wrapping each in a progressive promise was a
        // measurable part of a small response's cost.
        if (msg instanceof ByteBuf b) {
            queued += b.readableBytes();
        } else if (msg instanceof ByteBufHolder h) {
            queued += h.content().readableBytes();
        } else if (msg instanceof FileRegion r) {
            queued += r.count() - r.transferred();
            regions.add(r);
        }
        ctx.write(msg, promise);
    }

    /** Bytes the transport has taken off this connection's outbound buffer (written to the socket) so far. */
    private long transferred(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        if (buffer == null) {
            buffer = outbound; // closed: see written()
        }
        long pending = buffer == null ? 0 : buffer.totalPendingWriteBytes();
        long regionsPending = 0;
        for (java.util.Iterator<FileRegion> i = regions.iterator(); i.hasNext(); ) {
            FileRegion r = i.next();
            long rest = r.count() - r.transferred(); // a field of the region: readable after its release too
            if (r.refCnt() == 0) { // written, or failed: the transport is done with it
                queued -= rest;
                i.remove();
            } else {
                regionsPending += rest;
            }
        }
        return queued - pending - regionsPending;
    }

    private static FullHttpResponse requestTimeout() {
        byte[] text = "408 Request Timeout: the request head was not complete in time\n".getBytes(StandardCharsets.US_ASCII);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_TIMEOUT,
                Unpooled.wrappedBuffer(text));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, text.length);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        response.headers().set(HttpHeaderNames.DATE, HttpDates.now());
        return response;
    }

    private void check(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            timer.cancel(false);
            return;
        }
        reportSent();
        long now = System.nanoTime();
        if (responding) {
            if (minRate > 0 && periodNanos > 0 && now - periodStart >= periodNanos) {
                long progressed = written() - periodStartWritten;
                double seconds = (now - periodStart) / 1e9;
                if (progressed < minRate * seconds) {
                    LOG.log(Level.INFO, () -> "closing " + ctx.channel().remoteAddress() + ": read " + progressed
                            + " bytes in " + String.format("%.1f", seconds) + " s, below the minimum of " + minRate + " bytes/s");
                    metrics.timedOut(ServerMetrics.Timeout.MIN_RATE);
                    ctx.close();
                    return;
                }
                periodStart = now;
                periodStartWritten = written();
            }
        } else if (headStart != 0 && now - headStart >= headTimeoutNanos) {
            LOG.log(Level.INFO, () -> "closing " + ctx.channel().remoteAddress() + ": no complete request head within "
                    + headTimeoutNanos / 1_000_000 + " ms of its first byte");
            headStart = 0;
            timer.cancel(false);
            metrics.timedOut(ServerMetrics.Timeout.REQUEST_HEAD);
            // 408 through the whole pipeline (HTTP encoder, TLS), then close; closed anyway if it cannot be written
            // within a second (a client that sends but never reads).
            ctx.executor().schedule(() -> { ctx.channel().close(); }, 1, TimeUnit.SECONDS);
            ctx.channel().writeAndFlush(requestTimeout()).addListener(ChannelFutureListener.CLOSE);
        } else if (now - lastActivity >= idleTimeoutNanos) {
            LOG.log(Level.DEBUG, () -> "closing idle connection " + ctx.channel().remoteAddress());
            metrics.timedOut(ServerMetrics.Timeout.IDLE);
            ctx.close();
        }
    }
}
