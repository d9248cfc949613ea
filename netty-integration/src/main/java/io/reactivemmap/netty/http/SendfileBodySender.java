package io.reactivemmap.netty.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;

import java.util.List;

/**
 * File ranges as {@link DefaultFileRegion}s: {@code sendfile(2)} on epoll, {@code FileChannel.transferTo} on NIO. No
 * byte passes through user space, so nothing is mapped. If the file shrinks under a region, the transport fails the
 * write ("underlying file size smaller than requested") rather than sending fewer bytes.
 */
final class SendfileBodySender implements BodySender {
    @Override
    public ChannelFuture send(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        ChannelFuture last = null;
        for (BodyPart part : parts) {
            last = switch (part) {
                case BodyPart.Bytes b -> ctx.write(Unpooled.wrappedBuffer(b.bytes()));
                case BodyPart.FileRange r -> ctx.write(new SharedChannelRegion(file, r.offset(), r.length()));
            };
        }
        ctx.flush();
        if (last == null) {
            throw new IllegalArgumentException("no body parts to send");
        }
        // Writes complete in order, and a failed write closes the channel, failing every later one: the last
        // future speaks for all of them.
        return last;
    }

    /**
     * A region over the response's open channel that leaves it open when released: {@code DefaultFileRegion} closes
     * its channel on release, and a multipart response sends several regions of one channel. The response closes the
     * channel once its last write completes. Still a {@code DefaultFileRegion}, so epoll uses {@code sendfile}.
     */
    private static final class SharedChannelRegion extends DefaultFileRegion {
        SharedChannelRegion(RootDirectory.Opened file, long position, long count) {
            super(file.channel(), position, count);
        }

        @Override
        protected void deallocate() {
            // the channel belongs to the response, which closes it
        }
    }
}
