package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Over TLS, between the HTTP/2 codec and the {@link TlsWindowGuard}: regroups the codec's writes (per DATA frame a 9-byte
 * header, then a payload sliced from a mapped window) into buffers of exactly one TLS record's plaintext
 * ({@value TlsWindowGuard#RECORD} bytes), each a slice over the pieces it spans. No byte is copied.
 *
 * <p>Why: a frame is 9 + 16,384 bytes, a record 16,384. Left alone, the {@code SslHandler} fills each record by copying
 * the payload that follows a header into the header's buffer ({@code SslHandlerCoalescingBufferQueue}): a Java copy of
 * every mapped byte before the encryption; and if the file was truncated, the fault is raised inside that copy and
 * leaves the {@code SslHandler}'s queue inconsistent (Netty logs it as SEVERE). Given buffers of exactly one record, the
 * {@code SslHandler} hands each to the TLS engine as the list of its pieces (a gathering wrap), and the
 * {@link TlsWindowGuard} checks every window a record spans, right before it is encrypted.
 *
 * <p>Writes wait here until a record is full or a flush comes (the flush sends the rest as a shorter record). A write's
 * promise completes when the record holding its last byte is written.
 */
final class Http2TlsRecords extends ChannelOutboundHandlerAdapter {
    private static final int RECORD = TlsWindowGuard.RECORD;

    private record Pending(long end, ChannelPromise promise) {
    }

    /** Buffers (this handler's references) not yet cut into records, the first possibly partly cut. */
    private final ArrayDeque<ByteBuf> pieces = new ArrayDeque<>();
    /** The promises of the writes not yet fully sent on, with the offset just past their last byte. */
    private final ArrayDeque<Pending> promises = new ArrayDeque<>();
    private long received;
    private long sent;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            sendRest(ctx); // keep the order
            ctx.write(msg, promise);
            return;
        }
        if (pieces.isEmpty() && !buf.isReadable()) {
            ctx.write(buf, promise);
            return;
        }
        received += buf.readableBytes();
        pieces.add(buf);
        promises.add(new Pending(received, promise));
        while (received - sent >= RECORD) {
            send(ctx, RECORD);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        sendRest(ctx);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        failAll(new IOException("the connection was closed before the data was sent"));
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        failAll(new IOException("the connection was closed before the data was sent"));
    }

    private void sendRest(ChannelHandlerContext ctx) {
        if (received > sent) {
            send(ctx, (int) (received - sent));
        }
    }

    /** Sends the next {@code n} bytes (at most one record) as one buffer, with the promises it completes. */
    private void send(ChannelHandlerContext ctx, int n) {
        ByteBuf first = pieces.peek();
        ByteBuf record;
        if (first.readableBytes() >= n) {
            record = first.readRetainedSlice(n);
            releaseIfDone(first);
        } else {
            // No limit on components: past its maxNumComponents a CompositeByteBuf consolidates, copying every
            // component into one new buffer, a Java read of the mapped payloads (the copy this handler exists to avoid,
            // and a fault outside the TlsWindowGuard's watch if the file was truncated). A record spans many pieces
            // when the DATA frames are small, as when a client grants its flow-control window a little at a time.
            CompositeByteBuf composite = ctx.alloc().compositeBuffer(Integer.MAX_VALUE);
            int left = n;
            while (left > 0) {
                ByteBuf piece = pieces.peek();
                int take = Math.min(left, piece.readableBytes());
                composite.addComponent(true, piece.readRetainedSlice(take));
                left -= take;
                releaseIfDone(piece);
            }
            // A slice, not the composite itself: the SslHandler copies a CompositeByteBuf that is shorter than a record
            // into a new buffer before wrapping it (composeFirst); it wraps any other buffer as it is. The slice holds
            // the composite's only reference.
            record = composite.slice();
        }
        sent += n;
        List<ChannelPromise> done = new ArrayList<>(4);
        while (!promises.isEmpty() && promises.peek().end() <= sent) {
            done.add(promises.poll().promise());
        }
        ChannelPromise p = ctx.newPromise();
        p.addListener((ChannelFutureListener) f -> {
            for (ChannelPromise each : done) {
                if (f.isSuccess()) {
                    each.trySuccess();
                } else {
                    each.tryFailure(f.cause());
                }
            }
        });
        ctx.write(record, p);
    }

    private void releaseIfDone(ByteBuf piece) {
        if (!piece.isReadable()) {
            pieces.poll();
            piece.release();
        }
    }

    private void failAll(Throwable cause) {
        ByteBuf b;
        while ((b = pieces.poll()) != null) {
            ReferenceCountUtil.safeRelease(b);
        }
        Pending p;
        while ((p = promises.poll()) != null) {
            p.promise().tryFailure(cause);
        }
        sent = received;
    }
}
