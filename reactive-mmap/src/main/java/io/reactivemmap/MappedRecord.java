package io.reactivemmap;

import org.jspecify.annotations.Nullable;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.file.Path;

/**
 * One record of a file split by {@link MappedRecords}: the bytes {@code [offset, offset + length)} between two
 * delimiters (the delimiter, and a dropped carriage return, are not included).
 *
 * <p>A record that lies inside one {@link MappedWindow window} is a read-only view of the window's memory: no byte is
 * copied, and the record keeps that window mapped until it is closed. A record whose bytes or delimiter cross a window
 * boundary (or that is longer than a window) is copied once into a heap array that it owns, and references no window
 * ({@link #isCopy()} tells which). An empty record references nothing.
 *
 * <h2>Ownership</h2>
 * Exactly as for {@link MappedWindow}: a record is reference counted, {@code onNext(record)} transfers one reference
 * to the subscriber, which must give it back with {@link #close()} (or {@code try}-with-resources, or Kotlin's
 * {@code use {}}). {@code close()} is idempotent and thread-safe: it gives back that first reference once, however
 * often it is called. Other holders call {@link #retain()} and pair it with one {@link #release()}. When the count
 * reaches zero the record lets go of its window, which is unmapped once no other record (and nobody else) holds it.
 * A count that has reached zero stays there: {@link #retain()} and {@link #release()} then throw
 * {@link IllegalStateException}, while {@link #close()} does nothing (so {@code close()} after the last
 * {@code release()} is a safe no-op), exactly as for a window.
 * A subscriber that keeps records keeps their windows mapped: those count against
 * {@link MapOptions#maxLiveBytes()}, so holding many records pauses the stream until some are closed.
 *
 * <h2>Views</h2>
 * {@link #segment()} and {@link #asByteBuffer()} are read-only views; a view does <em>not</em> keep the record (or
 * its window) alive. Read them only while you hold a reference. {@link #segment()} refuses to hand out a view once
 * the record is closed; a view taken earlier of a window-backed record throws {@link IllegalStateException} once
 * the window is unmapped (never a crash), while a view of a copied record stays readable until the garbage collector
 * takes it: do not rely on either.
 */
public final class MappedRecord extends RefCounted implements AutoCloseable {
    private final Path path;
    private final long index;
    private final long offset;
    private final MemorySegment segment;
    /** The window this record is a view of, holding one reference that this record gives back; null for a copy. */
    private final @Nullable MappedWindow window;
    private final boolean copy;

    /**
     * @param window a window this record takes one (already retained) reference of, or null for a copy / empty record
     */
    MappedRecord(Path path, long index, long offset, MemorySegment segment, @Nullable MappedWindow window, boolean copy) {
        this.path = path;
        this.index = index;
        this.offset = offset;
        this.segment = segment;
        this.window = window;
        this.copy = copy;
    }

    /** The file the record comes from. */
    public Path path() {
        return path;
    }

    /** The record's number in its stream, from 0 (for a range, counted from the range's first record). */
    public long index() {
        return index;
    }

    /** The file offset of the record's first byte (for an empty record, where it would be). */
    public long offset() {
        return offset;
    }

    /** The number of bytes in the record, without its delimiter (and without a dropped carriage return). */
    public int length() {
        return (int) segment.byteSize();
    }

    /** The file offset just past the record's last byte: {@code offset() + length()}. */
    public long end() {
        return offset + segment.byteSize();
    }

    /** Whether the bytes were copied (the record crossed a window boundary); {@code false} for a view and when empty. */
    public boolean isCopy() {
        return copy;
    }

    /**
     * The record's bytes as a read-only segment whose byte 0 is the file's byte {@link #offset()}. The view does not
     * keep the record alive; see the class documentation.
     *
     * @throws IllegalStateException if the record is no longer held (its reference count is zero)
     */
    public MemorySegment segment() {
        if (count() <= 0) {
            throw new IllegalStateException("cannot read " + this + ": already released");
        }
        return segment;
    }

    /** A new read-only {@link ByteBuffer} over the record's bytes, position 0, big-endian. Does not extend the record's life. */
    public ByteBuffer asByteBuffer() {
        return segment().asByteBuffer();
    }

    /** A new array holding a copy of the record's bytes. */
    public byte[] toByteArray() {
        return segment().toArray(ValueLayout.JAVA_BYTE);
    }

    /** The record's bytes decoded with {@code charset} (a copy). */
    public String toString(Charset charset) {
        return new String(toByteArray(), charset);
    }

    /** Whether the record is still held (its reference count is above zero). */
    public boolean isOpen() {
        return count() > 0;
    }

    /** The current reference count; 0 once released. */
    public int refCnt() {
        return count();
    }

    /**
     * Adds a holder. Pair every call with one {@link #release()}.
     *
     * @return this record
     * @throws IllegalStateException if the record is already released (its count reached zero: it cannot be revived)
     */
    public MappedRecord retain() {
        retainRef();
        return this;
    }

    /**
     * Removes a holder; when it was the last, gives back the record's reference to its window (which is unmapped if
     * nothing else holds it).
     *
     * @return {@code true} if this call released the record
     * @throws IllegalStateException if the record was already released (a release without a matching reference)
     */
    public boolean release() {
        return releaseRef();
    }

    /**
     * Gives back the reference that {@code onNext} handed over. Idempotent and thread-safe: only the first call
     * releases; later calls do nothing, and so does a call once the count is zero (every reference was given back
     * through {@link #release()}).
     */
    @Override
    public void close() {
        closeRef();
    }

    @Override
    String whenZero() {
        return "already released";
    }

    /** The last reference is gone: give back this record's reference to its window, if it is a view. */
    @Override
    void deallocate() {
        if (window != null) {
            window.release();
        }
    }

    /** The window this record is a view of, or null. */
    @Nullable MappedWindow window() {
        return window;
    }

    @Override
    public String toString() {
        return "MappedRecord[" + path + " #" + index + " @" + offset + "+" + segment.byteSize()
                + (copy ? ", copy" : window != null ? ", view" : "") + ", refCnt=" + refCnt() + "]";
    }
}
