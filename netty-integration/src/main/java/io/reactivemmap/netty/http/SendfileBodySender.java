package io.reactivemmap.netty.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;

import java.io.IOException;
import java.nio.channels.FileChannel;
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
            if (part instanceof BodyPart.FileRange r) {
                FileChannel channel;
                try {
                    channel = file.channel();
                } catch (IOException e) {
                    ctx.flush();
                    ctx.close();
                    return ctx.newFailedFuture(e);
                }
                last = ctx.write(new SharedChannelRegion(channel, r.offset(), r.length()));
            } else if (part instanceof BodyPart.Bytes b) {
                last = ctx.write(Unpooled.wrappedBuffer(b.bytes()));
            }
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
    @Override
    public String describe() {
        return "sendfile";
    }

    private static final class SharedChannelRegion extends DefaultFileRegion {
        SharedChannelRegion(FileChannel channel, long position, long count) {
            super(channel, position, count);
        }

        @Override
        protected void deallocate() {
            // the channel belongs to the response, which closes it
        }
    }
}
