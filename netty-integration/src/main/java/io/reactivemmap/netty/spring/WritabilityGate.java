package io.reactivemmap.netty.spring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.springframework.core.io.buffer.DataBuffer;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds the next window of a body written through Reactor Netty under TLS until the connection is writable again.
 *
 * <p>Why: Reactor Netty's send bounds what it has written and not yet seen completed by a number of buffers (not of
 * bytes), and the TLS engine turns each window it is given into ciphertext at once, releasing the window. So for a
 * client that reads slowly, the server encrypted window after window into memory (one stalled 512 MiB download held
 * 239 MiB; a 1 GiB benchmark download ran out of direct memory). Emitting a window only while the channel is writable
 * bounds that to about one window per connection. The windows reach the engine unchanged (whole, through the
 * {@code TlsWindowGuard}), which the truncation canaries depend on: pieces small enough to be coalesced would be
 * copied by the {@code SslHandler} outside the guard.
 *
 * <p>One handler per connection, added at the head of its pipeline on first use; it only watches
 * {@code channelWritabilityChanged} and {@code channelInactive}, passes both on, and keeps no buffer.
 */
final class WritabilityGate extends ChannelInboundHandlerAdapter {
    private static final String NAME = "reactivemmap.writabilityGate";

    /** Waiters, touched on the event loop only. */
    private final List<MonoSink<Void>> waiting = new ArrayList<>();

    private WritabilityGate() {
    }

    /**
     * {@code window}, emitted once {@code channel} is writable (or closed). If the body is cancelled or fails before
     * that, the window is released here: it was never handed on.
     */
    static Mono<DataBuffer> held(Channel channel, DataBuffer window) {
        AtomicBoolean handedOn = new AtomicBoolean();
        return whenWritable(channel)
                .then(Mono.fromSupplier(() -> {
                    handedOn.set(true);
                    return window;
                }))
                .doFinally(signal -> {
                    if (!handedOn.get()) {
                        MappedDataBuffers.release(window);
                    }
                });
    }

    /** Completes at once if {@code channel} is writable or closed, else when it becomes either. */
    static Mono<Void> whenWritable(Channel channel) {
        return Mono.defer(() -> channel.isWritable() || !channel.isActive() ? Mono.<Void>empty()
                : Mono.<Void>create(sink -> channel.eventLoop().execute(() -> {
                    if (channel.isWritable() || !channel.isActive()) {
                        sink.success();
                        return;
                    }
                    WritabilityGate gate = gate(channel);
                    gate.waiting.add(sink);
                    sink.onCancel(() -> channel.eventLoop().execute(() -> gate.waiting.remove(sink)));
                })));
    }

    private static WritabilityGate gate(Channel channel) {
        WritabilityGate gate = (WritabilityGate) channel.pipeline().get(NAME);
        if (gate == null) {
            gate = new WritabilityGate();
            channel.pipeline().addFirst(NAME, gate);
        }
        return gate;
    }

    private void release() {
        List<MonoSink<Void>> ready = new ArrayList<>(waiting);
        waiting.clear();
        ready.forEach(MonoSink::success);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable()) {
            release();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release();
        super.channelInactive(ctx);
    }
}
