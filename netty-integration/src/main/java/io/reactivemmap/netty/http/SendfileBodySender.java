package io.reactivemmap.netty.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;

import java.io.IOException;
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
                FileRegion region;
                try {
                    region = file.region(r.offset(), r.length()); // leaves the file open: the response closes it
                } catch (IOException e) {
                    ctx.flush();
                    ctx.close();
                    return ctx.newFailedFuture(e);
                }
                last = ctx.write(region);
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

    @Override
    public String describe() {
        return "sendfile";
    }
}
