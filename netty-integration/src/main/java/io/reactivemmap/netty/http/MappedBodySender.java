package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.netty.ChannelBodyWriter;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.WriteOptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.util.List;

/**
 * File ranges as mapped windows wrapped in zero-copy buffers ({@link MappedByteBufs}) and drained by
 * {@link ChannelBodyWriter}, which maps the next window only while the channel is writable and fewer than
 * {@code maxBytesInFlight} bytes are in flight, and releases each window when its write completes. Works under TLS:
 * the JDK's TLS engine reads the window through {@code ByteBuffer} views, which fail cleanly (never crash) if the
 * file is truncated under them.
 *
 * <p>Windows are mapped from the response's open channel ({@link MappedFile#windows(java.nio.channels.FileChannel,
 * java.nio.file.Path, long, long, MapOptions)}), never by path again: the bytes sent are those of the file checked
 * when the request was resolved, whatever happens to the path afterwards. The response closes that channel once
 * the body's future completes, when nothing is mapped from it any more.
 *
 * <h2>Budget</h2>
 * Every window counts against the connection's own budget ({@link ConnectionBudget}) inside the server's. The response
 * head goes out with the first window, so a body that cannot get one within the budget wait has sent nothing and is
 * answered {@code 503} by the caller ({@link BodySender#refusedForBudget}). On an HTTP/2 stream each window is sized
 * by what the client lets the server send ({@link PeerWindow}), one window per subscription, so the stream of a client
 * that grants little holds a small window, not {@code windowSize} bytes.
 */
final class MappedBodySender implements BodySender {
    private final MapOptions mapOptions;
    private final WriteOptions writeOptions;

    MappedBodySender(MapOptions mapOptions, WriteOptions writeOptions) {
        this.mapOptions = mapOptions;
        this.writeOptions = writeOptions;
    }

    @Override
    public ChannelFuture send(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        return ChannelBodyWriter.write(ctx, body(ctx, file, parts), writeOptions);
    }

    @Override
    public ChannelFuture send(ChannelHandlerContext ctx, Object head, RootDirectory.Opened file, List<BodyPart> parts) {
        return ChannelBodyWriter.write(ctx, head, body(ctx, file, parts), writeOptions);
    }

    private Flux<ByteBuf> body(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        MapOptions options = mapOptions.withBudget(ConnectionBudget.of(ctx.channel(), mapOptions.budget()));
        PeerWindow peer = PeerWindow.of(ctx.channel(), options.windowSize());
        return Flux.fromIterable(parts)
                .concatMap(part -> switch (part) {
                    // hide(): concatMap runs a Callable inner (Mono.fromSupplier is one) through a scalar subscription
                    // that discards its value on a later cancel although it emitted it already (reactor-core#4352): the
                    // framing buffer, by then Netty's, would be released twice (once while it is still being written).
                    case BodyPart.Bytes b -> Mono.fromSupplier(() -> Unpooled.wrappedBuffer(b.bytes())).hide();
                    case BodyPart.FileRange r -> peer == null ? windows(file, r.offset(), r.length(), options)
                            : sizedWindows(file, r, options, peer);
                }, 0)
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
    }

    private static Flux<ByteBuf> windows(RootDirectory.Opened file, long offset, long length, MapOptions options) {
        return Flux.defer(() -> {
            try {
                return MappedByteBufs.byteBufs(MappedFile.windows(file.channel(), file.path(), offset, length, options));
            } catch (IOException e) {
                return Flux.error(e);
            }
        });
    }

    /**
     * The range as a run of one-window sources, each window as long as {@code peer} says when its source is subscribed
     * (right after the previous window was handed on). Requests are made on the event loop, where the peer's window is
     * read afresh before each.
     */
    private static Flux<ByteBuf> sizedWindows(RootDirectory.Opened file, BodyPart.FileRange r, MapOptions options,
                                              PeerWindow peer) {
        long end = r.offset() + r.length();
        return Flux.defer(() -> {
                    long[] next = {r.offset()};
                    return Flux.defer(() -> {
                                long from = next[0];
                                long length = peer.nextLength(from, end);
                                next[0] = from + length;
                                return windows(file, from, length, options.withWindowSize(length));
                            })
                            .repeat(() -> next[0] < end);
                })
                .doOnRequest(n -> peer.refresh());
    }

    @Override
    public String describe() {
        return "mapped";
    }
}
