package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.epoll.EpollSocketChannel;

import java.io.IOException;
import java.util.List;

/**
 * Small bodies without a mapping; larger ones handed to another sender (mapped windows, or sendfile). Mapping pays
 * for large files (no copy into user space); for a small file the fixed cost of a mapping — {@code mmap},
 * {@code munmap} and the shared-arena close, which handshakes every JVM thread — is larger than copying a few pages.
 * A small body is read with one positional {@code read} into a pooled buffer and written with the headers; on a
 * plain epoll socket (AUTO mode) a single-range body goes with {@code sendfile(2)} straight from the descriptor
 * {@code openat2} returned ({@link DescriptorRegion}), headers and body corked into one push.
 * Measured with {@code benchmarks/http/run.sh}: 64 KiB files over TLS at 16 connections went from 5.7k req/s mapped
 * to 17.8k with the copy (Netty ChunkedNioFile: 16.5k, nginx: 21.3k, same run); over plain HTTP see
 * docs/http-benchmarks.md.
 *
 * <p>Nothing is mapped here, so a file truncated under a small body ends in a short read or a short
 * {@code sendfile} and a failed future (the connection is closed), never in SIGBUS.
 */
final class SmallBodySender implements BodySender {
    private static final System.Logger LOG = System.getLogger(SmallBodySender.class.getName());

    /** Bodies with at most this many file bytes are copied. */
    static final long DEFAULT_THRESHOLD = BodyMode.COPIED_AT_MOST;
    /** Plain HTTP in AUTO mode: bodies up to this size go by the corked sendfile (or the copy), not Netty's file region. */
    static final long PLAIN_THRESHOLD = 64 << 10;

    private final long threshold;
    private final BodySender large;

    private final boolean sendfileFirst;

    SmallBodySender(long threshold, BodySender large) {
        this(threshold, large, false);
    }

    /**
     * @param sendfileFirst on a plain epoll socket, send a single-range body with {@code sendfile} from the file's
     *                      descriptor, headers and body corked into one push, instead of copying it
     */
    SmallBodySender(long threshold, BodySender large, boolean sendfileFirst) {
        this.threshold = threshold;
        this.large = large;
        this.sendfileFirst = sendfileFirst;
    }

    @Override
    public String describe() {
        return "up to " + (threshold >> 10) + " KiB " + (sendfileFirst ? "by corked sendfile" : "copied") + ", larger "
                + large.describe();
    }

    @Override
    public ChannelFuture send(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        if (fileBytes(parts) > threshold) {
            return large.send(ctx, file, parts);
        }
        return small(ctx, file, parts);
    }

    /** Large bodies get {@code head} with them (their sender may write it only with the first window); small ones first. */
    @Override
    public ChannelFuture send(ChannelHandlerContext ctx, Object head, RootDirectory.Opened file, List<BodyPart> parts) {
        if (fileBytes(parts) > threshold) {
            return large.send(ctx, head, file, parts);
        }
        ctx.write(head);
        return small(ctx, file, parts);
    }

    private static long fileBytes(List<BodyPart> parts) {
        long fileBytes = 0;
        for (BodyPart part : parts) {
            if (part instanceof BodyPart.FileRange r) {
                fileBytes += r.length();
            }
        }
        return fileBytes;
    }

    private ChannelFuture small(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        if (sendfileFirst && parts.size() == 1 && parts.getFirst() instanceof BodyPart.FileRange r
                && ctx.channel() instanceof EpollSocketChannel socket && file.hasDescriptor()) {
            return sendfile(ctx, socket, file, r);
        }
        return copy(ctx, file, parts);
    }

    /**
     * Headers and body in one push without a copy: the socket is corked while the queued headers and a
     * {@link DescriptorRegion} ({@code sendfile(2)} straight from the descriptor {@code openat2} returned) are written,
     * and uncorked when the body is.
     */
    private static ChannelFuture sendfile(ChannelHandlerContext ctx, EpollSocketChannel socket, RootDirectory.Opened file,
                                          BodyPart.FileRange r) {
        boolean corked = cork(socket, true);
        ChannelFuture body = ctx.writeAndFlush(new DescriptorRegion(file, socket.fd().intValue(), r.offset(), r.length()));
        if (corked) {
            body.addListener(done -> cork(socket, false));
        }
        return body;
    }

    private static boolean cork(EpollSocketChannel socket, boolean on) {
        try {
            socket.config().setTcpCork(on);
            return true;
        } catch (ChannelException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "TCP_CORK " + on + " refused on " + socket, e);
            return false;
        }
    }

    private ChannelFuture copy(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        ChannelFuture last = null;
        for (BodyPart part : parts) {
            ByteBuf buf;
            switch (part) {
                case BodyPart.Bytes b -> buf = Unpooled.wrappedBuffer(b.bytes());
                case BodyPart.FileRange r -> {
                    try {
                        buf = read(ctx, file, r);
                    } catch (IOException e) {
                        ctx.flush();
                        ctx.close();
                        return ctx.newFailedFuture(e);
                    }
                }
            }
            last = ctx.write(buf);
        }
        ctx.flush();
        if (last == null) {
            throw new IllegalArgumentException("no body parts to send");
        }
        return last; // writes complete in order; a failed one closes the channel and fails the later ones
    }

    private static ByteBuf read(ChannelHandlerContext ctx, RootDirectory.Opened file, BodyPart.FileRange r) throws IOException {
        ByteBuf buf = ctx.alloc().directBuffer((int) r.length());
        boolean ok = false;
        try {
            file.read(buf, r.offset(), (int) r.length());
            ok = true;
            return buf;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
    }
}
