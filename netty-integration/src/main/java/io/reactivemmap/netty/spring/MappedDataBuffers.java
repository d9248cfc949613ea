package io.reactivemmap.netty.spring;

import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import io.reactivemmap.netty.MappedByteBufs;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.core.io.buffer.PooledDataBuffer;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Mapped windows as Spring {@link DataBuffer}s, for {@code ServerHttpResponse.writeWith} and anything else in Spring
 * that takes a {@code Flux<DataBuffer>}.
 *
 * <pre>{@code
 * Flux<DataBuffer> body = MappedDataBuffers.read(path, 0, size, MapOptions.defaults(), response.bufferFactory());
 * response.getHeaders().setContentLength(size);
 * return response.writeWith(MappedDataBuffers.responseBody(body, response.bufferFactory()));
 * // the server releases each buffer after writing it; the release unmaps. responseBody(...) guards against a leak in
 * // WebFlux's writeWith when the client goes away before the first write (see there).
 * }</pre>
 *
 * <h2>Two paths, chosen by the buffer factory</h2>
 * <ul>
 *   <li><b>Reactor Netty</b> ({@link NettyDataBufferFactory}, what WebFlux uses on Reactor Netty): each window becomes
 *       one {@link io.reactivemmap.netty.MappedByteBufs#wrap zero-copy ByteBuf} wrapped by
 *       {@link NettyDataBufferFactory#wrap(io.netty.buffer.ByteBuf)}. Reactor Netty unwraps it again and writes the
 *       mapped memory to the socket (or the TLS engine) without a copy; the buffer's final release, which Netty does
 *       when the write has completed, closes the window. Leaks show up in Netty's leak detector.</li>
 *   <li><b>Any other factory</b> (Spring's {@code DefaultDataBufferFactory} on Servlet containers and in
 *       {@code WebTestClient}'s mock server, Jetty's): each window is <em>copied</em> into buffers of at most
 *       {@link #COPY_BUFFER_SIZE} bytes allocated from the factory, and closed as soon as its last byte is copied
 *       (or the subscription ends). Why a copy: a {@code DefaultDataBuffer} is not a {@link PooledDataBuffer}, so
 *       {@link DataBufferUtils#release} (what Spring's writers call after a write) would never reach the window; a
 *       view of the mapping would stay mapped until someone closed it separately, and a server that hands a
 *       direct buffer to native code after the window closed would read unmapped memory. These servers copy into
 *       their own socket buffers anyway, so the extra copy costs what Spring's own {@code DataBufferUtils.read} costs,
 *       with no thread hop; the file is still read through the page cache without {@code read(2)} calls. The copy
 *       checks the file's size after each buffer, so a file truncated under the mapping fails the stream with
 *       {@link FileTruncatedException} instead of sending zeros.</li>
 * </ul>
 *
 * <h2>Bounds</h2>
 * Mapped bytes per subscription stay within {@link MapOptions#maxLiveBytes()} on both paths: on Reactor Netty a window
 * counts until its buffer is released (so Reactor Netty's 128-item prefetch does not map 128 windows, see
 * {@link io.reactivemmap.netty.ReactorNettyWindows}); on the copy path until its last byte is copied.
 */
public final class MappedDataBuffers {
    /** The largest buffer the copy path allocates (256 KiB): big enough for few signals, small enough for any heap. */
    public static final int COPY_BUFFER_SIZE = 256 * 1024;

    private MappedDataBuffers() {
    }

    /** Whether buffers made with {@code factory} are zero-copy views of the mapping (true for Reactor Netty's). */
    public static boolean isZeroCopy(DataBufferFactory factory) {
        return Objects.requireNonNull(factory, "factory") instanceof NettyDataBufferFactory;
    }

    /**
     * Bytes {@code [offset, offset + length)} of {@code path} as data buffers; see {@link #dataBuffers} for ownership
     * and discard support. Errors (missing file, a range past the end, a truncated file) arrive as {@code onError}.
     */
    public static Flux<DataBuffer> read(Path path, long offset, long length, MapOptions options, DataBufferFactory factory) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(factory, "factory");
        return Flux.defer(() -> dataBuffers(MappedFile.windows(path, offset, length, options), factory));
    }

    /** The whole of {@code path} as data buffers; see {@link #read(Path, long, long, MapOptions, DataBufferFactory)}. */
    public static Flux<DataBuffer> read(Path path, MapOptions options, DataBufferFactory factory) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(factory, "factory");
        return Flux.defer(() -> dataBuffers(MappedFile.windows(path, options), factory));
    }

    /**
     * {@code windows} as data buffers, in order: one zero-copy buffer per window on Reactor Netty, copies of at most
     * {@link #COPY_BUFFER_SIZE} bytes otherwise (see the class description).
     *
     * <h4>Ownership</h4>
     * Each {@code onNext} transfers one buffer to the subscriber, which must release it
     * ({@link DataBufferUtils#release}); Spring's response writers do so after writing. On the zero-copy path that
     * release closes the window; on the copy path the window was closed already.
     *
     * <h4>Discard Support</h4>
     * Windows and buffers dropped inside this chain, or by operators you applied to {@code windows}, are closed and
     * released (both types are registered with {@code doOnDiscard}); fusion is prevented so no queue downstream holds
     * raw windows. Buffers dropped by operators you add <em>downstream</em> of the returned {@code Flux} go to that
     * operator's discard hook: end such chains with {@code .doOnDiscard(DataBuffer.class, DataBufferUtils::release)}.
     * Cancelling closes the windows that the source read ahead.
     *
     * @param windows ownership of each emitted window is transferred to this chain (and then to the buffer that wraps
     *                it, on Reactor Netty)
     */
    public static Flux<DataBuffer> dataBuffers(Flux<MappedWindow> windows, DataBufferFactory factory) {
        Objects.requireNonNull(windows, "windows");
        Objects.requireNonNull(factory, "factory");
        Flux<DataBuffer> buffers;
        if (factory instanceof NettyDataBufferFactory netty) {
            // hide(): a fuseable source would otherwise let a downstream queue hold raw windows (see MappedByteBufs).
            buffers = windows.hide().map(window -> wrap(window, netty));
        } else {
            // Prefetch 0: the next window is requested only when the previous one is fully copied (and closed), so
            // no window waits in a queue here; the source's own read-ahead is bounded by maxLiveBytes.
            buffers = windows.hide().concatMap(window -> copies(window, factory), 0);
        }
        return buffers
                .doOnDiscard(MappedWindow.class, MappedDataBuffers::closeDiscarded)
                .doOnDiscard(DataBuffer.class, MappedDataBuffers::release);
    }

    /**
     * Guards a body for {@code ServerHttpResponse.writeWith}: emits one empty buffer before {@code body}, so that
     * nothing is mapped for the buffer WebFlux asks for before the server's writer exists.
     *
     * <h4>Why</h4>
     * WebFlux's {@code writeWith} requests the first buffer <em>before</em> the server's writer exists, caches it, and
     * only then hands the rest to the server (Reactor Netty). If the connection closed in between (a client that
     * resets right after its request, which happens under load), Reactor Netty fails the send without ever
     * subscribing, and nothing releases the cached buffer or cancels the source: with a window as the first buffer,
     * that window (and the one read ahead) stays mapped until the JVM exits. Measured here: every run of 300 such
     * requests left 2 windows mapped. With the guard, the cached buffer is an empty one that holds nothing, and the
     * window source gets no demand, so it maps nothing.
     *
     * <p>Residual: the abandoned subscription is never cancelled, and the window source opens its file when
     * subscribed; that file descriptor is closed only when the garbage collector reclaims the channel. A gate that
     * subscribed only on demand was tried and dropped: it let the source run to the end of the file after a
     * disconnect instead of stopping (every window was mapped and released once).
     *
     * @param body subscribed after the empty buffer; its buffers are released like any other
     */
    public static Flux<DataBuffer> responseBody(Flux<DataBuffer> body, DataBufferFactory factory) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(factory, "factory");
        return Flux.concat(Mono.fromSupplier(() -> factory.wrap(new byte[0])), body);
    }

    /** Releases a buffer if it is still allocated (a discard hook and error-path helper: never throws). */
    static void release(DataBuffer buffer) {
        if (buffer instanceof PooledDataBuffer pooled && !pooled.isAllocated()) {
            return;
        }
        DataBufferUtils.release(buffer);
    }

    private static void closeDiscarded(MappedWindow window) {
        window.close();
    }

    private static DataBuffer wrap(MappedWindow window, NettyDataBufferFactory factory) {
        try {
            // Ownership of the window passes to the ByteBuf: its final release (by Reactor Netty after the write, or
            // by whoever discards the DataBuffer) closes the window. NettyDataBuffer.release releases that ByteBuf.
            return factory.wrap(MappedByteBufs.wrap(window));
        } catch (RuntimeException e) {
            window.close();
            throw e;
        }
    }

    /**
     * The window copied into buffers of at most {@link #COPY_BUFFER_SIZE} bytes, lazily (one copy per request); the
     * window is closed after its last copy, on error and on cancel ({@code Flux.using} runs the cleanup once).
     */
    private static Flux<DataBuffer> copies(MappedWindow window, DataBufferFactory factory) {
        int length = window.length();
        int count = (length + COPY_BUFFER_SIZE - 1) / COPY_BUFFER_SIZE;
        return Flux.using(() -> window,
                w -> Flux.range(0, count).map(i -> copy(w, i * COPY_BUFFER_SIZE,
                        Math.min(COPY_BUFFER_SIZE, length - i * COPY_BUFFER_SIZE), factory)),
                MappedWindow::close);
    }

    private static DataBuffer copy(MappedWindow window, int from, int n, DataBufferFactory factory) {
        DataBuffer buffer = factory.allocateBuffer(n);
        try {
            try {
                buffer.write(window.segment().asSlice(from, n).asByteBuffer());
            } catch (InternalError fault) {
                // SIGBUS on a truncated file surfaces as InternalError, which Reactor would rethrow as fatal: turn it
                // into an exception that travels through onError.
                throw Exceptions.propagate(window.faulted(fault)); // unwrapped again by Reactor: onError gets the IOException
            }
            // A truncation to a size that is not page-aligned reads zeros without faulting: check after copying, so
            // the bytes sent are the file's or the stream fails.
            Optional<FileTruncatedException> truncated = window.checkIntact();
            if (truncated.isPresent()) {
                throw Exceptions.propagate(truncated.get());
            }
            return buffer;
        } catch (RuntimeException e) {
            release(buffer);
            throw e;
        }
    }
}
