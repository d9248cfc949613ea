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
 * bytes it passed on minus those the channel's outbound buffer still holds (Netty counts file regions there by their
 * length too), while a write's completion alone would say nothing during a 1 GiB region. Netty's own idle handler is
 * no use here: it treats a long-running write as idleness, and watermarks only signal.
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
    /** Bytes handed to the transport (queued in its outbound buffer) so far. */
    private long queued;
    private boolean responding;
    private long lastActivity;
    private long periodStart;
    private long periodStartWritten;
    /** HTTP/2: reads are frames of many streams, not one request head; see {@link #multiplexed()}. */
    private boolean multiplexed;

    ConnectionGuard(Duration idleTimeout, long minRate, Duration period, Duration requestHeadTimeout) {
        this.idleTimeoutNanos = idleTimeout.toNanos();
        this.headTimeoutNanos = requestHeadTimeout.toNanos();
        this.minRate = minRate;
        this.periodNanos = period.toNanos();
        long shortest = Math.min(headTimeoutNanos,
                periodNanos > 0 && minRate > 0 ? Math.min(idleTimeoutNanos, periodNanos) : idleTimeoutNanos);
        this.checkNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), shortest / 4);
    }

    private @Nullable ChannelHandlerContext context;

    /** Bytes the transport has written to this connection's socket so far. Call on the event loop. */
    long written() {
        ChannelHandlerContext ctx = context;
        return ctx == null ? 0 : transferred(ctx);
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
        }
        ctx.write(msg, promise);
    }

    /** Bytes the transport has taken off this connection's outbound buffer (written to the socket) so far. */
    private long transferred(ChannelHandlerContext ctx) {
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        long pending = buffer == null ? 0 : buffer.totalPendingWriteBytes();
        return queued - pending;
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
        long now = System.nanoTime();
        if (responding) {
            if (minRate > 0 && periodNanos > 0 && now - periodStart >= periodNanos) {
                long progressed = written() - periodStartWritten;
                double seconds = (now - periodStart) / 1e9;
                if (progressed < minRate * seconds) {
                    LOG.log(Level.INFO, () -> "closing " + ctx.channel().remoteAddress() + ": read " + progressed
                            + " bytes in " + String.format("%.1f", seconds) + " s, below the minimum of " + minRate + " bytes/s");
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
            // 408 through the whole pipeline (HTTP encoder, TLS), then close; closed anyway if it cannot be written
            // within a second (a client that sends but never reads).
            ctx.executor().schedule(() -> { ctx.channel().close(); }, 1, TimeUnit.SECONDS);
            ctx.channel().writeAndFlush(requestTimeout()).addListener(ChannelFutureListener.CLOSE);
        } else if (now - lastActivity >= idleTimeoutNanos) {
            LOG.log(Level.DEBUG, () -> "closing idle connection " + ctx.channel().remoteAddress());
            ctx.close();
        }
    }
}
