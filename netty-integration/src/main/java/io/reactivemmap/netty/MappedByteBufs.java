package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.MappedWindow;
import reactor.core.publisher.Flux;

import java.util.Objects;
import java.util.Optional;

/**
 * Mapped windows as read-only, zero-copy {@link ByteBuf}s whose final release unmaps the window.
 *
 * <pre>{@code
 * Flux<ByteBuf> body = MappedByteBufs.byteBufs(MappedFile.windows(path));
 * ChannelBodyWriter.write(ctx, body, WriteOptions.defaults());   // Netty releases each buffer after its write
 * }</pre>
 *
 * <h2>Why not {@code Unpooled.wrappedBuffer(window.asByteBuffer())}</h2>
 * That wraps a <em>view</em>: releasing the wrapper never closes the window (the mapping stays until someone
 * closes the window separately, which is easy to get wrong when Netty releases buffers on its own schedule),
 * nothing keeps the window mapped while a native transport still reads the address, and Netty's leak detector
 * cannot see the window at all. The buffers made here tie the two reference counts together: the window stays
 * mapped exactly as long as the buffer (or any of its slices and duplicates) is referenced, the final
 * {@code release()} closes it, and a buffer that is garbage-collected without being released shows up in Netty's
 * leak report like any leaked {@code ByteBuf}.
 */
public final class MappedByteBufs {
    private MappedByteBufs() {
    }

    /**
     * A read-only {@link ByteBuf} over the window's bytes whose final {@code release()} closes the window.
     *
     * <h4>Ownership</h4>
     * The buffer takes over the reference that {@code onNext} handed to you: do not close the window yourself; release
     * the buffer instead (or hand it to Netty, which releases written buffers when their write completes). The
     * buffer starts with a reference count of 1. {@code slice()}, {@code duplicate()}, {@code retainedSlice()} and
     * {@code retainedDuplicate()} share that count, so the window is unmapped when the last of them is released, never
     * earlier; this is what makes it safe for native transports (epoll's {@code sendAddress}) and unsafe copy paths to
     * read the raw {@linkplain ByteBuf#memoryAddress() memory address}.
     *
     * <h4>Shape</h4>
     * Reader index 0, writer index and capacity = {@link MappedWindow#length()} (fixed); big-endian; direct;
     * {@code isReadOnly()} is {@code true} and every setter throws {@link java.nio.ReadOnlyBufferException};
     * {@code nioBuffer}s are read-only views. Reads after the final release throw
     * {@link io.netty.util.IllegalReferenceCountException}.
     *
     * <h4>Leak detection</h4>
     * Each buffer is tracked by a {@link io.netty.util.ResourceLeakDetector} made by
     * {@link io.netty.util.ResourceLeakDetectorFactory#instance()} (so it follows {@code -Dio.netty.leakDetection.level}
     * and a custom factory), records {@code touch}, {@code retain} and {@code release} calls, and is reported as
     * {@code LEAK: MappedByteBuf.release() was not called before it's garbage-collected} if it is lost.
     *
     * @param window ownership of {@code window} is transferred to the returned buffer
     * @throws IllegalArgumentException if the window is already unmapped
     */
    public static ByteBuf wrap(MappedWindow window) {
        Objects.requireNonNull(window, "window");
        if (!window.isOpen()) {
            throw new IllegalArgumentException("cannot wrap " + window + ": it is already unmapped; wrap windows as they "
                    + "arrive in onNext, before closing them");
        }
        return new MappedByteBuf(window);
    }

    /**
     * Each window of {@code windows} {@linkplain #wrap wrapped} as a {@link ByteBuf}, in order; the bytes mapped at
     * once stay bounded by the source's {@link io.reactivemmap.MapOptions#maxLiveBytes()}, because a window counts
     * until its buffer's final release.
     *
     * <h4>Ownership</h4>
     * Each {@code onNext} transfers one buffer (and through it the window) to the subscriber, which must release it
     * (Netty does so for buffers it writes).
     *
     * <h4>Discard Support</h4>
     * Windows dropped upstream of the wrapping (by a {@code filter} or {@code take} you applied to {@code windows})
     * are closed, and buffers discarded upstream are released: both types are registered with
     * {@code doOnDiscard}. Fusion through the wrapping is prevented, so a prefetching operator downstream never
     * queues unwrapped windows. Buffers dropped by operators you add <em>downstream</em> of the returned
     * {@code Flux} go to that operator's discard hook: end such chains with
     * {@code .doOnDiscard(ByteBuf.class, ReferenceCounted::release)}.
     *
     * @param windows ownership of each emitted window is transferred to the buffer that wraps it
     */
    public static Flux<ByteBuf> byteBufs(Flux<MappedWindow> windows) {
        Objects.requireNonNull(windows, "windows");
        return windows
                // hide(): without it a fuseable source would let a downstream queue hold raw windows and map them
                // lazily in poll(); a clear() on cancel would then discard windows to a hook that expects ByteBufs.
                .hide()
                .map(MappedByteBufs::wrapOrClose)
                .doOnDiscard(MappedWindow.class, MappedWindow::close)
                .doOnDiscard(ByteBuf.class, MappedByteBufs::releaseDiscarded);
    }

    private static ByteBuf wrapOrClose(MappedWindow window) {
        try {
            return wrap(window);
        } catch (RuntimeException e) {
            if (window.isOpen()) {
                window.close();
            }
            throw e;
        }
    }

    /**
     * Whether the file under a mapped window's buffer has been truncated below the window's end: call it right before
     * handing the buffer to code that reads its bytes in Java (the JDK TLS engine, a copy), since reading a truncated
     * mapping faults. Looks through slices, duplicates and composite buffers to the buffers made by {@link #wrap}.
     * Costs one {@code fstat} per window found; does not change the buffer or its reference count.
     *
     * <p>A check cannot rule out a truncation right after it: readers must still expect the fault (an
     * {@link InternalError} raised by the JVM, possibly a little later than the read).
     *
     * @param buf any buffer; one that does not contain a mapped window is always intact
     * @return the first truncation found, or empty
     */
    public static Optional<FileTruncatedException> checkIntact(ByteBuf buf) {
        Objects.requireNonNull(buf, "buf");
        if (buf instanceof CompositeByteBuf composite) {
            for (ByteBuf component : composite) {
                Optional<FileTruncatedException> t = checkIntact(component);
                if (t.isPresent()) {
                    return t;
                }
            }
            return Optional.empty();
        }
        for (ByteBuf b = buf; b != null; b = b.unwrap()) {
            if (b instanceof MappedByteBuf mapped) {
                return mapped.window().checkIntact();
            }
            if (b instanceof CompositeByteBuf composite) {
                return checkIntact(composite);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code buf} is, derives from or contains a buffer made by {@link #wrap}. */
    public static boolean isMapped(ByteBuf buf) {
        Objects.requireNonNull(buf, "buf");
        if (buf instanceof CompositeByteBuf composite) {
            for (ByteBuf component : composite) {
                if (isMapped(component)) {
                    return true;
                }
            }
            return false;
        }
        for (ByteBuf b = buf; b != null; b = b.unwrap()) {
            if (b instanceof MappedByteBuf) {
                return true;
            }
            if (b instanceof CompositeByteBuf composite) {
                return isMapped(composite);
            }
        }
        return false;
    }

    static void releaseDiscarded(ByteBuf buf) {
        if (buf.refCnt() > 0) {
            buf.release();
        }
    }
}
