package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import org.reactivestreams.Publisher;

/**
 * CONTRACT STUB (to be implemented on the netty branch): drains a publisher of buffers into a channel, requesting
 * the next only while the channel is writable and fewer than {@link WriteOptions#maxBytesInFlight()} bytes are in
 * flight.
 */
public final class ChannelBodyWriter {
    private ChannelBodyWriter() {
    }

    /**
     * Writes every buffer of {@code body} through {@code ctx} (so handlers before it, such as an SslHandler or an
     * HTTP encoder, see them). Each buffer is released by Netty when its write completes. The returned future
     * succeeds when the last buffer is written and flushed; it fails if the source fails (the channel is then
     * closed, since a body cut short cannot be repaired) or if the channel closes first (the source is cancelled).
     *
     * @param body ownership of each emitted buffer is transferred to this writer
     */
    public static ChannelFuture write(ChannelHandlerContext ctx, Publisher<? extends ByteBuf> body, WriteOptions options) {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
