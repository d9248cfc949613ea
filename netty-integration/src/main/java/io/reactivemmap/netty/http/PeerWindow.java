package io.reactivemmap.netty.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;

/**
 * How large the next mapped window of an HTTP/2 stream's body may be: what the client lets the server send now (the
 * smaller of the stream's and the connection's flow-control windows), at least {@value #MIN_WINDOW} bytes and at most
 * the server's window size, rounded so that windows end on page boundaries. A client that grants 4 KiB at a time so
 * gets 64 KiB windows, not 4 MiB ones: what its streams keep mapped follows what it takes.
 *
 * <p>The flow controller belongs to the connection's event loop, so it is read only there: when the body's next
 * window is decided on another thread (a window released by another connection woke the source), the value read on
 * the event loop at the body's last request is used.
 */
final class PeerWindow {
    /** The smallest window: below this a mapping's fixed cost dominates, and 64 KiB is HTTP/2's default window. */
    static final int MIN_WINDOW = 64 << 10;

    private final Channel channel;
    private final int streamId;
    private final Http2Connection connection;
    private final int maxWindow;
    private final int minWindow;
    /** What the client let the server send when last read on the event loop. */
    private volatile long sendable;

    private PeerWindow(Channel channel, int streamId, Http2Connection connection, int maxWindow) {
        this.channel = channel;
        this.streamId = streamId;
        this.connection = connection;
        this.maxWindow = maxWindow;
        this.minWindow = Math.min(MIN_WINDOW, maxWindow);
        this.sendable = maxWindow;
    }

    /** The peer window of the HTTP/2 stream {@code channel} is, or {@code null} if it is not one (HTTP/1.1). */
    static @Nullable PeerWindow of(Channel channel, int maxWindow) {
        if (!(channel instanceof Http2StreamChannel stream) || stream.parent() == null) {
            return null;
        }
        Http2FrameCodec codec = stream.parent().pipeline().get(Http2FrameCodec.class);
        if (codec == null) {
            return null;
        }
        PeerWindow w = new PeerWindow(channel, stream.stream().id(), codec.connection(), maxWindow);
        w.refresh();
        return w;
    }

    /** Reads the flow-control windows again if on the event loop (a body's requests are made there). */
    void refresh() {
        if (!channel.eventLoop().inEventLoop()) {
            return;
        }
        Http2Stream stream = connection.stream(streamId);
        if (stream == null) {
            sendable = 0; // closed: the body is about to be cancelled, map as little as possible meanwhile
            return;
        }
        Http2RemoteFlowController flow = connection.remote().flowController();
        sendable = Math.min(flow.windowSize(stream), flow.windowSize(connection.connectionStream()));
    }

    /** Bytes of the next window, which starts at {@code position}; the body ends at {@code end} ({@code > position}). */
    long nextLength(long position, long end) {
        refresh();
        long size = Math.clamp(sendable, minWindow, maxWindow);
        long page = NativeAccess.pageSize();
        long stop = (position + size + page - 1) / page * page; // end on a page boundary: the next window starts on one
        if (stop - position > maxWindow) {
            stop = position + maxWindow;
        }
        return Math.min(stop, end) - position;
    }
}
