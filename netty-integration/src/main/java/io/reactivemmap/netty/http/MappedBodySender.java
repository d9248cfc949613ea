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

import java.util.List;

/**
 * File ranges as mapped windows wrapped in zero-copy buffers ({@link MappedByteBufs}) and drained by
 * {@link ChannelBodyWriter}, which maps the next window only while the channel is writable and fewer than
 * {@code maxBytesInFlight} bytes are in flight, and releases each window when its write completes. Works under TLS:
 * the JDK's TLS engine reads the window through {@code ByteBuffer} views, which fail cleanly (never crash) if the
 * file is truncated under them.
 *
 * <p>The file is opened again by path by {@link MappedFile#windows}: the core has no API taking an open channel yet,
 * so the identity re-check of {@link RootDirectory#open} covers this mode only up to that second open. A file
 * replaced in between is served as the new file, up to the planned length (a shorter one fails the stream and the
 * connection is closed).
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
                    case BodyPart.Bytes b -> Mono.fromSupplier(() -> Unpooled.wrappedBuffer(b.bytes()));
                    case BodyPart.FileRange r -> MappedByteBufs.byteBufs(MappedFile.windows(file.path(), r.offset(), r.length(), mapOptions));
                }, 0)
                .doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        return ChannelBodyWriter.write(ctx, body, writeOptions);
    }
}
