package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import org.reactivestreams.Publisher;

import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * Drains a publisher of buffers into a channel with a bound in bytes: the next buffer is requested only while the
 * channel is writable and fewer than {@link WriteOptions#maxBytesInFlight()} bytes are in flight.
 *
 * <pre>{@code
 * // in a handler, after writing the response head:
 * ChannelBodyWriter.write(ctx, MappedByteBufs.byteBufs(MappedFile.windows(path)), WriteOptions.defaults())
 *     .addListener(f -> { if (f.isSuccess()) ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT); });
 * }</pre>
 *
 * <h2>Backpressure</h2>
 * The writer requests one buffer at a time, and only when the channel {@linkplain io.netty.channel.Channel#isWritable()
 * is writable} and its own writes in flight (written, write not completed) are below the byte budget; with nothing in
 * flight it always proceeds, so it cannot stall on a budget smaller than one buffer. Buffers larger than
 * {@link WriteOptions#maxChunkSize()} are written as retained slices under the same rule. It resumes when a write
 * completes or the channel becomes writable again (it listens for {@code channelWritabilityChanged} through a small
 * handler placed right after {@code ctx} for the duration of the body). Writes are flushed once per batch: when the
 * writer has to wait (for the source, for writability or for the budget) everything written is flushed, so no data
 * is held back unflushed.
 *
 * <h2>Ownership</h2>
 * Every buffer the source emits belongs to the writer, which hands it to Netty with {@code ctx.write}; Netty releases
 * it when the write completes (never earlier: native transports read the raw address during the write). Buffers
 * still held when the body is aborted, and buffers arriving after that, are released by the writer.
 *
 * <h2>Termination</h2>
 * The returned future succeeds after the source completed and the last write completed. It fails, and the source
 * is cancelled, when the channel closes first ({@link java.nio.channels.ClosedChannelException}) or a write fails;
 * when the source signals an error (that error); when the file under a mapped window was truncated before the
 * window's first byte is written ({@link io.reactivemmap.FileTruncatedException}: each window is checked, one
 * {@code fstat}, the last moment it can be refused whole); or when the returned future is cancelled. A source that
 * has already completed or failed is never cancelled. In all those cases but
 * a channel that is already closed, the channel is closed too: a body cut short cannot be repaired, and the peer
 * must not take a partial body for a complete one. Nothing is ever thrown from this method or from the subscriber's
 * signals; all channel operations run on {@code ctx.executor()}, whatever thread the source signals on.
 *
 * <h2>A head written with the first buffer</h2>
 * {@link #write(ChannelHandlerContext, Object, Publisher, WriteOptions)} takes a message to write right before the
 * body's first buffer (a response's status line and headers), so nothing is committed to the peer until the source
 * has produced something to send: a mapped source that waits for its budget, and then fails, has sent nothing. If the
 * body fails before its first buffer, the head is released unwritten, the channel is left open, and the future fails
 * with the body's error: the caller can still answer otherwise (with a {@code 503}, say). Once the head is written,
 * every failure closes the channel as above. So after a failed future, {@code ctx.channel().isActive()} tells whether
 * anything of the response was written.
 */
public final class ChannelBodyWriter {
    private ChannelBodyWriter() {
    }

    /**
     * Writes every buffer of {@code body} through {@code ctx} (so handlers before it, such as an SslHandler or an
     * HTTP encoder, see them). Each buffer is released by Netty when its write completes. The returned future
     * succeeds when the last buffer is written and flushed; it fails if the source fails (the channel is then
     * closed, since a body cut short cannot be repaired) or if the channel closes first (the source is cancelled).
     * If the channel is not active, the future fails at once and {@code body} is not subscribed.
     *
     * @param ctx     the context to write through; may be called from any thread
     * @param body    ownership of each emitted buffer is transferred to this writer
     * @param options the byte budget and write size
     */
    public static ChannelFuture write(ChannelHandlerContext ctx, Publisher<? extends ByteBuf> body, WriteOptions options) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(options, "options");
        return start(ctx, new BodySubscriber(ctx, options, ctx.newPromise()), body);
    }

    /**
     * As {@link #write(ChannelHandlerContext, Publisher, WriteOptions)}, writing {@code head} right before the body's
     * first buffer (or alone, if the body completes without any). If the body fails before its first buffer, nothing
     * is written: {@code head} is released, the channel stays open, and the future fails with the body's error (see
     * <em>A head written with the first buffer</em> above).
     *
     * @param head    any message the pipeline can write, such as an {@code HttpResponse} or an
     *                {@code Http2HeadersFrame}; ownership of {@code head} is transferred to this writer
     * @param body    ownership of each emitted buffer is transferred to this writer
     */
    public static ChannelFuture write(ChannelHandlerContext ctx, Object head, Publisher<? extends ByteBuf> body,
                                      WriteOptions options) {
        Objects.requireNonNull(ctx, "ctx");
        Objects.requireNonNull(head, "head");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(options, "options");
        return start(ctx, new BodySubscriber(ctx, head, options, ctx.newPromise()), body);
    }

    private static ChannelFuture start(ChannelHandlerContext ctx, BodySubscriber subscriber, Publisher<? extends ByteBuf> body) {
        ChannelPromise promise = subscriber.promise();
        if (ctx.executor().inEventLoop()) {
            subscriber.start(body);
        } else {
            try {
                ctx.executor().execute(() -> subscriber.start(body));
            } catch (RejectedExecutionException e) {
                subscriber.notStarted(e);
            }
        }
        return promise;
    }
}
