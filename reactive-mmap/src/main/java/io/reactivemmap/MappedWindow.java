package io.reactivemmap;

import io.reactivemmap.internal.Background;
import io.reactivemmap.internal.Metrics;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A mapped, read-only piece of a file: bytes {@code [offset, offset + length)}, emitted by the sources of
 * {@link MappedFile}. Unmapped deterministically (not by the garbage collector) when its last holder lets go.
 *
 * <h2>Ownership</h2>
 * A window is reference counted. {@code onNext(window)} transfers one reference to the subscriber, which must
 * give it back with {@link #close()} (or {@code try}-with-resources, or Kotlin's {@code use {}}). {@code close()}
 * is idempotent and thread-safe: it gives back that first reference once, however often it is called.
 * Additional holders (another thread, a Netty {@code ByteBuf}, an I/O operation in flight) call {@link #retain()}
 * and must pair each call with exactly one {@link #release()}. When the count reaches zero the window is unmapped
 * at once, its share of the {@link MappingBudget} is returned, and the source that mapped it may map the next one.
 * A count that has reached zero stays there: {@link #retain()} and {@link #release()} then throw
 * {@link IllegalStateException}, while {@link #close()} does nothing (so {@code close()} after the last
 * {@code release()} is a safe no-op). {@link MappedRecord} follows the same rule.
 *
 * <h2>Views</h2>
 * {@link #segment()} and {@link #asByteBuffer()} are read-only views of the same memory. A view does <em>not</em>
 * keep the window mapped: keep a reference (do not close, or {@link #retain()}) for as long as any view is read.
 * {@code Unpooled.wrappedBuffer(window.asByteBuffer())} is such a view: it never unmaps the window and Netty's leak
 * detector cannot see it (use the {@code netty-integration} module's buffers instead).
 *
 * <h2>After close</h2>
 * Once unmapped, every read through the JDK's accessors (the segment, the {@code ByteBuffer} views, their slices
 * and bulk gets) throws {@link IllegalStateException}; the JVM does not crash. Code that reads raw addresses
 * (native libraries, Netty's unsafe buffers, a native transport writing to a socket) is not checked and
 * <strong>crashes the JVM</strong> if it reads after unmap: such code must hold a reference until it is done.
 *
 * <h2>Files that shrink</h2>
 * If another process truncates the file while a window is mapped, reading the lost part is undefined: the rest of the
 * page holding the new end reads as zeros without any signal, and later pages fault (the kernel sends SIGBUS; the JVM
 * turns it into a late {@link InternalError} and returns garbage meanwhile). The sources check
 * the size before emitting each window; {@link #checkIntact()} checks again after you have read it, and
 * {@link MappedFile#read} does that for you.
 */
public final class MappedWindow extends RefCounted implements AutoCloseable {
    private static final int MAX_DEFERRED_UNMAP_ATTEMPTS = 10_000; // about 10 s of 1 ms retries

    /** Told when a window is unmapped; the source uses it to map the next one. */
    interface Owner {
        void unmapped(MappedWindow window);
    }

    private final SharedFile file;
    private final long offset;
    private final int length;
    private final Arena arena;
    private final MemorySegment mapping;
    private final long mappingOffset;
    private final MemorySegment segment;
    private final Owner owner;

    /**
     * @param mapping the whole mapping, starting at the page-aligned file offset {@code mappingOffset}
     */
    MappedWindow(SharedFile file, long offset, int length, Arena arena, MemorySegment mapping, long mappingOffset,
                 Owner owner) {
        this.file = file;
        this.offset = offset;
        this.length = length;
        this.arena = arena;
        this.mapping = mapping;
        this.mappingOffset = mappingOffset;
        this.segment = mapping.asSlice(offset - mappingOffset, length).asReadOnly();
        this.owner = owner;
    }

    /** The file this window maps. */
    public Path path() {
        return file.path;
    }

    /** The file offset of the window's first byte. */
    public long offset() {
        return offset;
    }

    /** The number of bytes in the window. */
    public int length() {
        return length;
    }

    /** The file offset just past the window's last byte: {@code offset() + length()}. */
    public long end() {
        return offset + length;
    }

    /**
     * The window's bytes as a read-only segment whose byte 0 is the file's byte {@link #offset()}.
     * The view does not keep the window mapped; see the class documentation.
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * A new read-only {@link ByteBuffer} over the window's bytes, position 0, limit {@link #length()}, in
     * big-endian order. Each call returns an independent buffer. The view does not keep the window mapped.
     */
    public ByteBuffer asByteBuffer() {
        return segment.asByteBuffer();
    }

    /** Whether the window is still mapped (its reference count is above zero). */
    public boolean isOpen() {
        return count() > 0;
    }

    /** The current reference count; 0 once unmapped. */
    public int refCnt() {
        return count();
    }

    /**
     * Adds a holder. Pair every call with one {@link #release()}.
     *
     * @return this window
     * @throws IllegalStateException if the window is already unmapped (its count reached zero: it cannot be revived)
     */
    public MappedWindow retain() {
        retainRef();
        return this;
    }

    /** Adds a holder if the window is still mapped; {@code false} (and nothing held) if it is not. */
    boolean tryRetain() {
        return tryRetainRef();
    }

    /**
     * Removes a holder; unmaps the window when it was the last.
     *
     * @return {@code true} if this call unmapped the window
     * @throws IllegalStateException if the window was already unmapped (a release without a matching reference)
     */
    public boolean release() {
        return releaseRef();
    }

    /**
     * Gives back the reference that {@code onNext} handed over. Idempotent and thread-safe: only the first call
     * releases; later calls do nothing, and so does a call once the count is zero (every reference was given back
     * through {@link #release()}). The window is unmapped now unless other holders have {@linkplain #retain()
     * retained} it, in which case it is unmapped when the last of them releases.
     */
    @Override
    public void close() {
        closeRef();
    }

    /**
     * Checks that the file still holds every byte of this window.
     *
     * @return the truncation, if the file is now shorter than {@link #end()}; empty if it is intact (or its size
     *         cannot be read any more)
     */
    public Optional<FileTruncatedException> checkIntact() {
        long now = file.currentSize();
        if (now >= 0 && now < end()) {
            return Optional.of(new FileTruncatedException(file.path, offset, file.size, now));
        }
        return Optional.empty();
    }

    /**
     * The exception to report for {@code fault}, the {@link InternalError} the JVM raises when a read of this window
     * faults (Reactor would rethrow the error itself as fatal): the {@link FileTruncatedException} of
     * {@link #checkIntact()}, with {@code fault} as its cause, if the file is now shorter than the window; otherwise an
     * {@link IOException} naming the file and the range (an I/O error on the device, or a file changed under the
     * mapping).
     */
    public IOException faulted(InternalError fault) {
        Optional<FileTruncatedException> truncated = checkIntact();
        if (truncated.isPresent()) {
            truncated.get().initCause(fault);
            return truncated.get();
        }
        return new IOException("reading " + path() + " at [" + offset + ", " + end() + ") faulted (an I/O error on the "
                + "device, or the file changed under the mapping): " + fault.getMessage(), fault);
    }

    /** The page-aligned address and size of the whole mapping, for advice. Valid while the window is retained. */
    long mappingAddress() {
        return mapping.address();
    }

    long mappingOffset() {
        return mappingOffset;
    }

    long mappingSize() {
        return mapping.byteSize();
    }

    SharedFile file() {
        return file;
    }

    @Override
    String whenZero() {
        return "already unmapped";
    }

    /** The last reference is gone: unmap. */
    @Override
    void deallocate() {
        unmap(0);
    }

    private void unmap(int attempt) {
        try {
            // Closing the shared arena unmaps now: the JVM first makes every thread leave any JDK access to this
            // memory (a handshake), so a concurrent reader gets IllegalStateException instead of a crash. Raw-address
            // readers are not covered, which is why they must hold a reference (see the class documentation).
            arena.close();
        } catch (IllegalStateException inUse) {
            // The arena is "acquired": a JDK operation (an asynchronous channel write of a ByteBuffer view, say) is
            // still using the memory. Unmapping under it is not allowed; retry shortly instead of leaking.
            if (attempt == 0) {
                Metrics.DEFERRED_UNMAPS.increment();
            }
            if (attempt < MAX_DEFERRED_UNMAP_ATTEMPTS) {
                Background.execute(() -> {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
                    unmap(attempt + 1);
                });
                return;
            }
            throw new IllegalStateException(this + " could not be unmapped: its memory stayed in use by a JDK operation", inUse);
        }
        Metrics.unmapped(mapping.byteSize());
        owner.unmapped(this);
    }

    @Override
    public String toString() {
        return "MappedWindow[" + file.path + " @" + offset + "+" + length + ", refCnt=" + refCnt() + "]";
    }
}
