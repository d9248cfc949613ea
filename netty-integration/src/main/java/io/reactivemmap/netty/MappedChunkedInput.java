package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A byte range of a file as a {@link ChunkedInput} of zero-copy, read-only {@link ByteBuf} chunks cut from mapped
 * windows, for {@link io.netty.handler.stream.ChunkedWriteHandler} directly or wrapped in
 * {@code HttpChunkedInput} or {@code Http2DataChunkedInput}.
 *
 * <pre>{@code
 * pipeline.addLast(new HttpServerCodec(), new ChunkedWriteHandler(), handler);
 * // in the handler:
 * ctx.write(response);
 * ctx.writeAndFlush(new HttpChunkedInput(new MappedChunkedInput(path, 0, size, MapOptions.defaults(), 64 * 1024)));
 * }</pre>
 *
 * <h2>Ownership</h2>
 * Each chunk returned by {@link #readChunk(ByteBufAllocator)} is a slice of a mapped window that holds its own
 * reference (the caller, normally Netty after the write, releases it). A window is unmapped as soon as the last chunk
 * cut from it is released, never earlier. {@link #close()} (called by {@code ChunkedWriteHandler} when the transfer
 * ends, fails or the channel closes) releases what the input still holds: the partly read window and windows mapped
 * ahead. Chunks already handed out stay valid until they are released.
 *
 * <h2>How much is mapped</h2>
 * Windows are pulled one at a time, synchronously, when a chunk is needed: the window being cut plus
 * {@link MapOptions#readAhead()} windows ahead, plus the windows whose chunks are still queued in the channel.
 * {@code ChunkedWriteHandler} reads a chunk only while the channel is writable, so the queued chunks are at most the
 * write-buffer high-water mark plus one chunk of bytes, and what stays mapped is the windows they span, plus the one
 * being cut and those read ahead (measured by {@code MappedChunkedInputTest} with a slow reader). {@link MapOptions#maxLiveBytes()} is therefore <em>not</em> applied here (the
 * input raises it): {@code ChunkedWriteHandler} cannot be woken up when a window is unmapped, so the input must
 * never wait for an unmap or the transfer would stall. The process-wide {@link MapOptions#budget()} still applies;
 * if it is spent, {@code readChunk} returns {@code null} and the transfer resumes on the next flush, writability
 * change or {@code ChunkedWriteHandler.resumeTransfer()}.
 *
 * <h2>Errors</h2>
 * A file that shrinks below the range ends in a {@link FileTruncatedException} thrown by {@code readChunk} (checked
 * before every chunk), never in bytes past the new end; a missing file, a range past the end and the other errors of
 * {@link MappedFile#windows(Path, long, long, MapOptions)} are thrown by the first {@code readChunk}.
 *
 * <p>Not thread-safe: use it from one thread at a time (the channel's event loop), as {@code ChunkedWriteHandler} does.
 */
public final class MappedChunkedInput implements ChunkedInput<ByteBuf> {
    /** A chunk size that suits TLS records and HTTP/2 frames alike. */
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;

    private final Path path;
    private final long offset;
    private final long length;
    private final MapOptions options;
    private final int chunkSize;
    private final Puller puller = new Puller();

    private @Nullable MappedWindow window;
    /** The wrapped window being cut (this input's own reference), or null between windows. */
    private @Nullable ByteBuf current;
    private long progress;
    private boolean subscribed;
    private boolean requested;
    private boolean closed;

    /**
     * An input of {@code length} bytes of {@code path} from {@code offset}, read in chunks of at most {@code chunkSize}.
     *
     * @param path      the file
     * @param offset    first byte, {@code >= 0}
     * @param length    bytes, {@code >= 0}; the range must lie within the file (checked on the first read)
     * @param options   window size, read-ahead and budget ({@code maxLiveBytes} is not applied; see the class notes)
     * @param chunkSize the largest chunk, {@code >= 1}
     */
    public MappedChunkedInput(Path path, long offset, long length, MapOptions options, int chunkSize) {
        this.path = Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        if (offset < 0 || length < 0 || offset + length < 0) {
            throw new IllegalArgumentException("invalid range of " + path + ": offset " + offset + ", length " + length
                    + " (expected offset >= 0, length >= 0, offset + length <= Long.MAX_VALUE)");
        }
        if (chunkSize < 1) {
            throw new IllegalArgumentException("chunkSize must be at least 1 byte (got " + chunkSize + ")");
        }
        this.offset = offset;
        this.length = length;
        this.options = options.withMaxLiveBytes(Long.MAX_VALUE);
        this.chunkSize = chunkSize;
    }

    /** Bytes {@code [offset, offset + length)} of {@code path} in {@link #DEFAULT_CHUNK_SIZE} chunks, default options. */
    public MappedChunkedInput(Path path, long offset, long length) {
        this(path, offset, length, MapOptions.defaults(), DEFAULT_CHUNK_SIZE);
    }

    @Override
    public boolean isEndOfInput() {
        return progress == length;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ByteBuf c = current;
        current = null;
        window = null;
        if (c != null) {
            c.release();
        }
        puller.close();
    }

    @Deprecated
    @Override
    public @Nullable ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
        return readChunk(ctx.alloc());
    }

    /**
     * The next chunk, or {@code null} at the end of the range (or, rarely, while the process-wide mapping budget is
     * spent). The returned buffer holds its own reference: the caller releases it.
     *
     * @throws FileTruncatedException if the file shrank below the range
     * @throws IOException            for the other file errors of {@link MappedFile#windows(Path, long, long, MapOptions)}
     */
    @Override
    public @Nullable ByteBuf readChunk(ByteBufAllocator allocator) throws Exception {
        if (closed) {
            throw new IllegalStateException("this MappedChunkedInput of " + path + " is closed");
        }
        if (isEndOfInput()) {
            return null;
        }
        ByteBuf c = current;
        if (c == null) {
            MappedWindow w = nextWindow();
            if (w == null) {
                return null;
            }
            window = w;
            c = current = MappedByteBufs.wrap(w);
        }
        MappedWindow w = Objects.requireNonNull(window);
        Optional<FileTruncatedException> truncated = w.checkIntact();
        if (truncated.isPresent()) {
            // Never cut a chunk that may lie past the new end: its bytes would be zeros or a SIGBUS, not the file.
            current = null;
            window = null;
            c.release();
            throw truncated.get();
        }
        int readable = c.readableBytes();
        ByteBuf chunk;
        if (readable <= chunkSize) {
            // The last chunk of the window takes over this input's reference: the window is unmapped when it and
            // the earlier chunks are released.
            chunk = c;
            current = null;
            window = null;
        } else {
            chunk = c.retainedSlice(c.readerIndex(), chunkSize);
            c.skipBytes(chunkSize);
        }
        progress += chunk.readableBytes();
        return chunk;
    }

    private @Nullable MappedWindow nextWindow() throws Exception {
        if (!subscribed) {
            subscribed = true;
            MappedFile.windows(path, offset, length, options).subscribe(puller);
        }
        MappedWindow w = puller.take();
        if (w == null && !requested) {
            Subscription s = puller.subscription;
            if (s != null) {
                requested = true;
                s.request(1); // the source maps and emits synchronously inside request unless the budget is spent
                w = puller.take();
            }
        }
        if (w != null) {
            requested = false;
            return w;
        }
        Throwable error = puller.error;
        if (error != null) {
            if (error instanceof Exception e) {
                throw e;
            }
            throw new IOException("streaming " + path + " failed", error);
        }
        if (puller.done) {
            throw new EOFException(path + " ended at offset " + (offset + progress) + ", before the " + length
                    + " bytes of the range were read");
        }
        return null;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long progress() {
        return progress;
    }

    @Override
    public String toString() {
        return "MappedChunkedInput[" + path + " @" + offset + "+" + length + ", progress " + progress + "]";
    }

    /** Receives windows one at a time; a window arriving after close (or uninvited) is closed at once. */
    private static final class Puller implements CoreSubscriber<MappedWindow> {
        private final AtomicReference<@Nullable MappedWindow> arrived = new AtomicReference<>();
        volatile @Nullable Subscription subscription;
        volatile @Nullable Throwable error;
        volatile boolean done;
        private volatile boolean closed;

        @Override
        public void onSubscribe(Subscription s) {
            if (subscription != null || closed) {
                s.cancel();
                return;
            }
            subscription = s;
            if (closed) {
                s.cancel();
            }
        }

        @Override
        public void onNext(MappedWindow w) {
            if (closed || !arrived.compareAndSet(null, w)) {
                w.close();
                return;
            }
            if (closed && arrived.compareAndSet(w, null)) {
                w.close(); // close() ran between the two checks
            }
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onComplete() {
            done = true;
        }

        @Nullable MappedWindow take() {
            return arrived.getAndSet(null);
        }

        void close() {
            closed = true;
            Subscription s = subscription;
            if (s != null) {
                s.cancel(); // the source closes the windows it read ahead
            }
            MappedWindow w = arrived.getAndSet(null);
            if (w != null) {
                w.close();
            }
        }
    }
}
