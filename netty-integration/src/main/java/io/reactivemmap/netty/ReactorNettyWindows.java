package io.reactivemmap.netty;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import reactor.core.publisher.Flux;
import reactor.netty.NettyOutbound;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Sends mapped windows through Reactor Netty ({@code reactor-netty-core}, an optional dependency of this module: add
 * it, or {@code reactor-netty-http}, to use this class).
 *
 * <pre>{@code
 * HttpServer.create().route(routes -> routes.get("/big", (request, response) ->
 *         ReactorNettyWindows.send(response.header("Content-Length", Long.toString(size)), path, 0, size,
 *                 MapOptions.defaults())))
 *     .bindNow();
 * }</pre>
 *
 * <h2>Why Reactor Netty's 128-item prefetch does not map 128 windows</h2>
 * {@code NettyOutbound.send(Publisher)} requests 128 buffers up front and more as writes complete: demand counted in
 * items, which with 16 MiB windows would be 2 GiB per connection if the source honoured it. It does not: the window
 * source stops at {@link MapOptions#maxLiveBytes()} per subscription, counting every window emitted and not yet
 * closed. A window wrapped by {@link MappedByteBufs} is closed only when Netty releases its buffer, which Netty does
 * when the buffer's write has completed. So however many items Reactor Netty asks for, a connection whose client
 * reads slowly holds at most {@code maxLiveBytes} mapped (one window if that is smaller than a window): the next
 * window is mapped only when the socket has taken an earlier one. The tests prove this with a slow-reading client.
 *
 * <h2>Ownership and Discard Support</h2>
 * Reactor Netty owns the buffers once emitted and releases each after writing it; buffers it has queued but not
 * written when the connection closes are released by it as well, and windows read ahead by the source are closed by
 * the source on cancel. A client that disconnects mid-download leaves no window mapped.
 */
public final class ReactorNettyWindows {
    private ReactorNettyWindows() {
    }

    /**
     * Sends bytes {@code [offset, offset + length)} of {@code path} as zero-copy mapped buffers.
     *
     * @return {@code outbound.send(...)}: subscribe to it (return it from the handler) to send
     */
    public static NettyOutbound send(NettyOutbound outbound, Path path, long offset, long length, MapOptions options) {
        return send(outbound, MappedFile.windows(path, offset, length, options));
    }

    /** Sends the whole of {@code path}; see {@link #send(NettyOutbound, Path, long, long, MapOptions)}. */
    public static NettyOutbound send(NettyOutbound outbound, Path path, MapOptions options) {
        return send(outbound, MappedFile.windows(path, options));
    }

    /**
     * Sends {@code windows}, each wrapped by {@link MappedByteBufs#wrap}.
     *
     * @param windows ownership of each emitted window is transferred to the buffer that wraps it, then to Reactor Netty
     */
    public static NettyOutbound send(NettyOutbound outbound, Flux<MappedWindow> windows) {
        Objects.requireNonNull(outbound, "outbound");
        return outbound.send(MappedByteBufs.byteBufs(windows));
    }
}
