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
        Flux<ByteBuf> body = Flux.fromIterable(parts)
                .concatMap(part -> switch (part) {
                    // hide(): concatMap runs a Callable inner (Mono.fromSupplier is one) through a scalar subscription
                    // that discards its value on a later cancel although it emitted it already (reactor-core#4352): the
                    // framing buffer, by then Netty's, would be released twice (once while it is still being written).
                    case BodyPart.Bytes b -> Mono.fromSupplier(() -> Unpooled.wrappedBuffer(b.bytes())).hide();
                    case BodyPart.FileRange r -> Flux.defer(() -> {
                        try {
                            return MappedByteBufs.byteBufs(MappedFile.windows(file.channel(), file.path(), r.offset(), r.length(), mapOptions));
                        } catch (IOException e) {
                            return Flux.error(e);
                        }
                    });
                }, 0)
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        return ChannelBodyWriter.write(ctx, body, writeOptions);
    }
}
