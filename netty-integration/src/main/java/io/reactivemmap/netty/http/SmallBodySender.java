package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;

import java.io.EOFException;
import java.io.IOException;
import java.util.List;

/**
 * Small bodies without a mapping; larger ones handed to another sender (mapped windows, or sendfile). Mapping pays
 * for large files (no copy into user space); for a small file the fixed cost of a mapping — {@code mmap},
 * {@code munmap} and the shared-arena close, which handshakes every JVM thread — is larger than copying a few pages.
 * A small body is read with one positional {@code read} into a pooled buffer and written with the headers; on a
 * plain epoll socket (AUTO mode) a single-range body first goes with {@code sendfile(2)} straight from the
 * descriptor {@code openat2} returned, headers and body corked into one push (see {@link #sendfile}).
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
    static final long DEFAULT_THRESHOLD = 256 << 10;
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
     *                      descriptor, headers and body corked into one push, before falling back to the copy
     */
    SmallBodySender(long threshold, BodySender large, boolean sendfileFirst) {
        this.threshold = threshold;
        this.large = large;
        this.sendfileFirst = sendfileFirst;
    }

    @Override
    public ChannelFuture send(ChannelHandlerContext ctx, RootDirectory.Opened file, List<BodyPart> parts) {
        long fileBytes = 0;
        for (BodyPart part : parts) {
            if (part instanceof BodyPart.FileRange r) {
                fileBytes += r.length();
            }
        }
        if (fileBytes > threshold) {
            return large.send(ctx, file, parts);
        }
        if (sendfileFirst && parts.size() == 1 && parts.getFirst() instanceof BodyPart.FileRange r
                && ctx.channel() instanceof EpollSocketChannel socket) {
            ChannelFuture sent = sendfile(ctx, socket, file, r);
            if (sent != null) {
                return sent;
            }
        }
        return copy(ctx, file, parts);
    }

    /**
     * Headers and body in one push without a copy: the socket is corked, the queued headers are flushed, and the body
     * goes with {@code sendfile(2)} straight from the descriptor {@code openat2} returned, written by us rather than
     * by Netty. That is only sound while Netty has nothing queued for the socket, which is checked after the flush;
     * the event loop (this thread) is the only writer. Whatever the kernel does not take at once is copied through
     * Netty's queue as usual, which then waits for the socket to drain.
     *
     * @return the body's future, or {@code null} if nothing of the body was sent and the caller should copy it
     */
    private @Nullable ChannelFuture sendfile(ChannelHandlerContext ctx, EpollSocketChannel socket, RootDirectory.Opened file,
                                             BodyPart.FileRange r) {
        if (!cork(socket, true)) {
            return null;
        }
        try {
            ctx.flush();
            ChannelOutboundBuffer queued = socket.unsafe().outboundBuffer();
            if (queued == null || !queued.isEmpty() || !socket.isActive()) {
                return null; // the headers wait for a writable socket, or the connection is closing: Netty's way
            }
            long n;
            try {
                n = file.sendTo(socket.fd().intValue(), r.offset(), r.length());
            } catch (IOException e) {
                return failed(ctx, e);
            }
            if (n == r.length()) {
                return ctx.newSucceededFuture();
            }
            if (n == 0) {
                return failed(ctx, new EOFException(file.path() + " ended at " + r.offset() + " while " + (r.offset() + r.length())
                        + " bytes were promised: it was truncated while being served"));
            }
            if (n == -NativeAccess.EAGAIN || n == -NativeAccess.ENOSYS) {
                return null; // nothing sent: socket full, or no bare descriptor
            }
            if (n < 0) {
                long errno = -n;
                return failed(ctx, new IOException("sendfile of " + file.path() + " failed (errno " + errno + ")"));
            }
            return copy(ctx, file, List.of(new BodyPart.FileRange(r.offset() + n, r.length() - n)));
        } finally {
            cork(socket, false);
        }
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

    private static ChannelFuture failed(ChannelHandlerContext ctx, IOException e) {
        ctx.close();
        return ctx.newFailedFuture(e);
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
