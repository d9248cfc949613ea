package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.ReferenceCountUtil;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.netty.MappedByteBufs;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Right after the HTTP/2 codec on the connection's pipeline (before {@link Http2TlsRecords} and the
 * {@link TlsWindowGuard} over TLS, before the socket on h2c): checks the file under each DATA frame whose payload is a
 * mapped window, at the last moment the frame can still be dropped whole, and drops a frame whose file was truncated
 * <em>header included</em>, so that nothing of it reaches the client and only its stream pays.
 *
 * <h2>Why here</h2>
 * A stream's DATA frames wait in the codec's flow controller until the client's window lets them out, for as long as
 * the client takes; the file can be truncated meanwhile. Once a frame's header is on its way, its payload must follow
 * or the connection's framing is broken: on h2c the socket write of a truncated mapping fails ({@code EFAULT}) and the
 * transport closes the connection, every stream with it; over TLS the {@link TlsWindowGuard} has to close it. A frame
 * dropped before its header was written costs its stream only: its write fails with a stream error
 * ({@link Http2Exception.StreamException}, {@code INTERNAL_ERROR}, caused by the {@link FileTruncatedException}), which
 * the codec treats as that stream's error, and the stream's handler resets the stream ({@code RST_STREAM}). Every later
 * DATA frame of that stream is dropped too, so the client never sees a byte after the gap.
 *
 * <h2>How</h2>
 * The codec ({@code DefaultHttp2FrameWriter}) writes each unpadded DATA frame as two buffers: the 9-byte frame header,
 * then the payload. This handler follows the frames in the bytes written, holds a DATA frame's header until its payload
 * arrives, checks the payload's windows ({@link MappedByteBufs#checkIntact}, one {@code fstat} per window and flush:
 * the frames cut from one window in one flush are microseconds apart), and passes
 * both on or drops both. Everything else passes unchanged and in order.
 *
 * <h2>What remains</h2>
 * A truncation after this check, before the bytes are read (h2c: by the kernel, when the socket write runs at the
 * flush; TLS: by the JDK engine), cannot be seen here. On h2c the write then fails with {@code EFAULT} and the
 * transport closes the connection (or, when the new end is not page-aligned, up to the rest of that page goes out as
 * zeros first); over TLS the {@link TlsWindowGuard} checks again before and after encryption and closes the connection.
 * Both are the race of a truncation landing within one flush of the event loop, not the common case of a file
 * truncated while frames wait for the client.
 *
 * <h2>Bytes sent, per stream</h2>
 * It also counts, for the access log of a stream whose body ended early, the payload bytes of that stream's DATA
 * frames the socket took ({@link #countSent}): a frame's payload write succeeds once the socket took all of it (over
 * TLS: its ciphertext). The connection's own count ({@link ConnectionGuard#written()}) mixes every stream's bytes;
 * a stream's body writes complete only when a whole window went, whatever the flow controller let out of it.
 */
final class Http2DataFrameCheck extends ChannelOutboundHandlerAdapter {
    private static final System.Logger LOG = System.getLogger(Http2DataFrameCheck.class.getName());
    private static final int FRAME_HEADER = 9;
    private static final byte DATA = 0x0;

    private final Http2Connection connection;
    /** Payload bytes of the frame being written that have not been seen yet; 0 between frames. */
    private long frameLeft;
    /** Bytes of a frame header split across writes (Netty's writer never does that; followed anyway). */
    private final byte[] partialHeader = new byte[FRAME_HEADER];
    private int partialLength;
    /** The header of a DATA frame, held until the write of its payload shows whether the frame may go. */
    private @Nullable ByteBuf heldHeader;
    private @Nullable ChannelPromise heldPromise;
    /**
     * The buffer the last checked payload was sliced from (identity only, never read), until the next flush: the
     * frames of one window that leave in one flush need one check of its file, not one per 16 KiB frame.
     */
    private @Nullable ByteBuf checkedRoot;
    /** Streams whose DATA was dropped: nothing more of theirs may go out (until they are closed). */
    private final Set<Integer> dropped = new HashSet<>();
    /** The streams whose DATA bytes sent are counted ({@link #countSent}), until they {@link Sent#forget}. */
    private final Map<Integer, Sent> counted = new HashMap<>();

    /** A stream's DATA payload bytes the socket took, counted on the event loop of its connection. */
    static final class Sent {
        private final Http2DataFrameCheck check;
        private final int streamId;
        private long bytes;

        private Sent(Http2DataFrameCheck check, int streamId) {
            this.check = check;
            this.streamId = streamId;
        }

        /** Stops counting (frames still in flight count no more) and returns the bytes; -1 for null (not counted). */
        static long forget(@Nullable Sent sent) {
            if (sent == null) {
                return -1;
            }
            sent.check.counted.remove(sent.streamId, sent);
            return sent.bytes;
        }
    }

    /**
     * Starts counting the DATA payload bytes the socket takes of the HTTP/2 stream {@code channel}; null when the
     * channel is not a stream of a connection with this handler. Call on the event loop; {@link Sent#forget} ends it.
     */
    static @Nullable Sent countSent(Channel channel) {
        if (!(channel instanceof Http2StreamChannel stream) || stream.parent() == null) {
            return null;
        }
        Http2DataFrameCheck check = stream.parent().pipeline().get(Http2DataFrameCheck.class);
        if (check == null) {
            return null;
        }
        Sent sent = new Sent(check, stream.stream().id());
        check.counted.put(sent.streamId, sent);
        return sent;
    }

    /** @param connection the codec's connection, to forget streams once they are closed */
    Http2DataFrameCheck(Http2Connection connection) {
        this.connection = connection;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            passHeld(ctx);
            ctx.write(msg, promise);
            return;
        }
        ByteBuf header = heldHeader;
        if (header != null) {
            ChannelPromise headerPromise = heldPromise;
            heldHeader = null;
            heldPromise = null;
            if (buf.readableBytes() == frameLeft) {
                frameLeft = 0; // the whole payload: the next write starts a frame
                if (!dropped(ctx, header, headerPromise, buf, promise)) {
                    Sent sent = counted.isEmpty() ? null : counted.get(header.getInt(header.readerIndex() + 5) & Integer.MAX_VALUE);
                    ctx.write(header, headerPromise);
                    if (sent != null) {
                        int n = buf.readableBytes();
                        ChannelPromise p = promise.unvoid();
                        p.addListener(f -> {
                            if (f.isSuccess()) {
                                sent.bytes += n;
                            }
                        });
                        ctx.write(buf, p);
                    } else {
                        ctx.write(buf, promise);
                    }
                }
                return;
            }
            ctx.write(header, headerPromise); // a payload in pieces (not Netty's writer): followed, not checked
        }
        if (frameLeft == 0 && partialLength == 0 && buf.readableBytes() == FRAME_HEADER
                && buf.getByte(buf.readerIndex() + 3) == DATA) {
            frameLeft = payloadLength(buf, buf.readerIndex());
            if (frameLeft > 0) {
                heldHeader = buf; // its payload is the codec's next write
                heldPromise = promise;
                return;
            }
            ctx.write(buf, promise);
            return;
        }
        follow(buf);
        ctx.write(buf, promise);
    }

    /**
     * The payload of the held DATA frame has arrived as one write: drops the frame (releases both buffers, fails both
     * writes) and returns true if its stream had DATA dropped before or its file was truncated under its windows.
     */
    private boolean dropped(ChannelHandlerContext ctx, ByteBuf header, ChannelPromise headerPromise, ByteBuf payload,
                            ChannelPromise payloadPromise) {
        int streamId = header.getInt(header.readerIndex() + 5) & Integer.MAX_VALUE;
        Throwable cause;
        if (dropped.contains(streamId)) {
            cause = Http2Exception.streamError(streamId, Http2Error.INTERNAL_ERROR,
                    "DATA of stream %d after a frame dropped for a truncated file", streamId);
        } else {
            ByteBuf root = payload.unwrap() != null ? payload.unwrap() : payload;
            if (root == checkedRoot || !MappedByteBufs.isMapped(payload)) {
                return false;
            }
            Optional<FileTruncatedException> truncated = MappedByteBufs.checkIntact(payload);
            if (truncated.isEmpty()) {
                checkedRoot = root;
                return false;
            }
            FileTruncatedException e = truncated.get();
            LOG.log(Level.DEBUG, () -> "resetting HTTP/2 stream " + streamId + " of " + ctx.channel().remoteAddress()
                    + ": the file under its next DATA frame was truncated, the frame is not sent: " + e.getMessage());
            dropped.add(streamId);
            cause = Http2Exception.streamError(streamId, Http2Error.INTERNAL_ERROR, e,
                    "stream %d: the file under a DATA frame was truncated before the frame was sent", streamId);
        }
        header.release();
        payload.release();
        headerPromise.tryFailure(cause);
        payloadPromise.tryFailure(cause);
        return true;
    }

    /**
     * Follows the frame boundaries through {@code buf}, a write passed on as it is. Reads frame headers only, never a
     * payload byte (a payload may be a mapped window whose file is shorter by now).
     */
    private void follow(ByteBuf buf) {
        int i = buf.readerIndex();
        int end = buf.writerIndex();
        while (i < end) {
            if (frameLeft > 0) {
                int n = (int) Math.min(frameLeft, end - i);
                frameLeft -= n;
                i += n;
                continue;
            }
            int n = Math.min(FRAME_HEADER - partialLength, end - i);
            buf.getBytes(i, partialHeader, partialLength, n);
            partialLength += n;
            i += n;
            if (partialLength == FRAME_HEADER) {
                partialLength = 0;
                frameLeft = (partialHeader[0] & 0xFFL) << 16 | (partialHeader[1] & 0xFF) << 8 | partialHeader[2] & 0xFF;
            }
        }
    }

    private static long payloadLength(ByteBuf header, int at) {
        return header.getUnsignedMedium(at);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        passHeld(ctx);
        checkedRoot = null;
        if (!dropped.isEmpty()) {
            dropped.removeIf(id -> {
                Http2Stream s = connection.stream(id);
                return s == null || s.state() == Http2Stream.State.CLOSED;
            });
        }
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        passHeld(ctx);
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ByteBuf header = heldHeader;
        if (header != null) {
            heldHeader = null;
            ReferenceCountUtil.safeRelease(header);
            heldPromise.tryFailure(new IOException("the connection was closed before the frame was sent"));
            heldPromise = null;
        }
    }

    /** A held header whose payload did not come as the next write (never so with Netty's writer) goes on as it is. */
    private void passHeld(ChannelHandlerContext ctx) {
        ByteBuf header = heldHeader;
        if (header != null) {
            ChannelPromise p = heldPromise;
            heldHeader = null;
            heldPromise = null;
            ctx.write(header, p);
        }
    }
}
