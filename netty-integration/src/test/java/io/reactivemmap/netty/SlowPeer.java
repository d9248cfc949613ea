package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

import java.io.ByteArrayOutputStream;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

/**
 * A test stand-in for a socket whose peer reads slowly: sits next to the head of an {@code EmbeddedChannel}'s
 * pipeline, holds every write (its promise stays pending, the buffer unreleased) until the test lets bytes "leave"
 * with {@link #deliver}, and turns the channel unwritable above {@code high} held bytes and writable again below
 * {@code low}, through the outbound buffer's user-defined writability bit (which fires
 * {@code channelWritabilityChanged} like the real watermarks).
 */
final class SlowPeer extends ChannelOutboundHandlerAdapter {
    private final long high;
    private final long low;
    private final ArrayDeque<Held> held = new ArrayDeque<>();
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private ChannelHandlerContext ctx;
    long heldBytes;
    long maxHeldBytes;
    long maxHeldBytesWhileUnwritable;
    int writes;
    int flushes;
    int largestWrite;
    boolean automaticWritability = true;

    private record Held(ByteBuf buf, ChannelPromise promise) {
    }

    SlowPeer(long high, long low) {
        this.high = high;
        this.low = low;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ByteBuf buf = (ByteBuf) msg;
        writes++;
        largestWrite = Math.max(largestWrite, buf.readableBytes());
        if (!ctx.channel().isWritable()) {
            maxHeldBytesWhileUnwritable = Math.max(maxHeldBytesWhileUnwritable, heldBytes + buf.readableBytes());
        }
        held.add(new Held(buf, promise));
        heldBytes += buf.readableBytes();
        maxHeldBytes = Math.max(maxHeldBytes, heldBytes);
        if (automaticWritability && heldBytes > high) {
            setWritable(false);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        flushes++;
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        // Like a real outbound buffer: pending writes fail and their buffers are released.
        Held h;
        while ((h = held.poll()) != null) {
            heldBytes -= h.buf.readableBytes();
            h.buf.release();
            h.promise.tryFailure(new ClosedChannelException());
        }
        ctx.close(promise);
    }

    /**
     * Lets up to {@code bytes} bytes of the writes held now leave (whole writes only, at least one): completes their
     * writes. Writes made in reaction are held for the next call.
     */
    void deliver(long bytes) {
        long sent = 0;
        int budget = held.size();
        Held h;
        while (budget-- > 0 && (h = held.peek()) != null && (sent == 0 || sent + h.buf.readableBytes() <= bytes)) {
            held.poll();
            int n = h.buf.readableBytes();
            byte[] data = new byte[n];
            h.buf.readBytes(data);
            received.writeBytes(data);
            heldBytes -= n;
            sent += n;
            h.buf.release(); // as Netty does when a write completes
            h.promise.setSuccess();
            if (automaticWritability && heldBytes < low) {
                setWritable(true);
            }
        }
    }

    /** Delivers everything held, repeatedly, until the writer stops writing. */
    void deliverAll() {
        while (!held.isEmpty()) {
            deliver(Long.MAX_VALUE);
            ((io.netty.channel.embedded.EmbeddedChannel) ctx.channel()).runPendingTasks();
        }
    }

    int heldWrites() {
        return held.size();
    }

    void setWritable(boolean writable) {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        out.setUserDefinedWritability(1, writable);
    }
}
