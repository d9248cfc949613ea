package io.reactivemmap.netty;

import io.netty.buffer.AbstractReferenceCountedByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import io.reactivemmap.MappedWindow;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.ScatteringByteChannel;

/**
 * The {@link ByteBuf} behind {@link MappedByteBufs#wrap}: read-only, direct, fixed capacity, reading the window's
 * memory through its (read-only) {@link MemorySegment}, and exposing the raw address so native transports write
 * from the mapping without a copy. Its final release closes the window; slices and duplicates are Netty's derived
 * buffers, which share this buffer's reference count.
 */
final class MappedByteBuf extends AbstractReferenceCountedByteBuf {
    /**
     * Created through the factory so that an application (or a test) that installs its own
     * {@link ResourceLeakDetectorFactory} before this class is loaded sees these buffers' leaks, like Netty's own.
     */
    private static final ResourceLeakDetector<MappedByteBuf> LEAK_DETECTOR =
            ResourceLeakDetectorFactory.instance().newResourceLeakDetector(MappedByteBuf.class);

    static {
        // Keep the leak records about the caller, not about this class's bookkeeping.
        ResourceLeakDetector.addExclusions(MappedByteBuf.class, "touch", "retain", "release", "record");
    }

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int COPY_CHUNK = 64 * 1024;

    private final MappedWindow window;
    private final MemorySegment segment;
    private final int capacity;
    private final @Nullable ResourceLeakTracker<MappedByteBuf> leak;

    MappedByteBuf(MappedWindow window) {
        super(window.length());
        this.window = window;
        this.segment = window.segment();
        this.capacity = window.length();
        setIndex(0, capacity);
        this.leak = LEAK_DETECTOR.track(this);
    }

    MappedWindow window() {
        return window;
    }

    // ---- reference counting and leak records ----

    @Override
    protected void deallocate() {
        ResourceLeakTracker<MappedByteBuf> l = leak;
        if (l != null) {
            // Closing the tracker tells the detector this buffer was released: a buffer garbage-collected without
            // reaching this line is reported as a leak, with the records of its touch/retain/release calls.
            l.close(this);
        }
        // The last reader is done (Netty releases a written buffer only when its write completed, so no native
        // transport still reads this address): give the window back; the source unmaps it and may map the next.
        window.close();
    }

    @Override
    public ByteBuf touch() {
        record(null);
        return this;
    }

    @Override
    public ByteBuf touch(Object hint) {
        record(hint);
        return this;
    }

    @Override
    public ByteBuf retain() {
        record(null);
        return super.retain();
    }

    @Override
    public ByteBuf retain(int increment) {
        record(null);
        return super.retain(increment);
    }

    @Override
    public boolean release() {
        record(null);
        return super.release();
    }

    @Override
    public boolean release(int decrement) {
        record(null);
        return super.release(decrement);
    }

    private void record(@Nullable Object hint) {
        ResourceLeakTracker<MappedByteBuf> l = leak;
        if (l != null) {
            if (hint == null) {
                l.record();
            } else {
                l.record(hint);
            }
        }
    }

    // ---- shape ----

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public ByteBuf capacity(int newCapacity) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    @Override
    @SuppressWarnings("deprecation")
    public ByteOrder order() {
        return ByteOrder.BIG_ENDIAN;
    }

    @Override
    public @Nullable ByteBuf unwrap() {
        return null;
    }

    @Override
    public boolean isDirect() {
        return true;
    }

    @Override
    public boolean isReadOnly() {
        return true;
    }

    @Override
    public ByteBuf asReadOnly() {
        return this;
    }

    @Override
    public boolean isContiguous() {
        return true;
    }

    @Override
    public boolean hasArray() {
        return false;
    }

    @Override
    public byte[] array() {
        throw new UnsupportedOperationException("a mapped window has no backing array");
    }

    @Override
    public int arrayOffset() {
        throw new UnsupportedOperationException("a mapped window has no backing array");
    }

    @Override
    public boolean hasMemoryAddress() {
        return true;
    }

    /**
     * The window's raw address. Whoever reads through it must hold a reference to this buffer while reading:
     * nothing checks raw reads, and a read after the window is unmapped crashes the JVM.
     */
    @Override
    public long memoryAddress() {
        ensureAccessible();
        return segment.address();
    }

    // ---- reads ----

    @Override
    protected byte _getByte(int index) {
        return segment.get(ValueLayout.JAVA_BYTE, index);
    }

    @Override
    protected short _getShort(int index) {
        return segment.get(SHORT_BE, index);
    }

    @Override
    protected short _getShortLE(int index) {
        return segment.get(SHORT_LE, index);
    }

    @Override
    protected int _getUnsignedMedium(int index) {
        return (_getByte(index) & 0xff) << 16 | (_getByte(index + 1) & 0xff) << 8 | _getByte(index + 2) & 0xff;
    }

    @Override
    protected int _getUnsignedMediumLE(int index) {
        return _getByte(index) & 0xff | (_getByte(index + 1) & 0xff) << 8 | (_getByte(index + 2) & 0xff) << 16;
    }

    @Override
    protected int _getInt(int index) {
        return segment.get(INT_BE, index);
    }

    @Override
    protected int _getIntLE(int index) {
        return segment.get(INT_LE, index);
    }

    @Override
    protected long _getLong(int index) {
        return segment.get(LONG_BE, index);
    }

    @Override
    protected long _getLongLE(int index) {
        return segment.get(LONG_LE, index);
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuf dst, int dstIndex, int length) {
        checkDstIndex(index, length, dstIndex, dst.capacity());
        if (dst.hasArray()) {
            getBytes(index, dst.array(), dst.arrayOffset() + dstIndex, length);
        } else if (dst.nioBufferCount() > 0) {
            for (ByteBuffer bb : dst.nioBuffers(dstIndex, length)) {
                int n = bb.remaining();
                getBytes(index, bb);
                index += n;
            }
        } else {
            dst.setBytes(dstIndex, this, index, length);
        }
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, byte[] dst, int dstIndex, int length) {
        checkDstIndex(index, length, dstIndex, dst.length);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, index, dst, dstIndex, length);
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, ByteBuffer dst) {
        int length = dst.remaining();
        checkIndex(index, length);
        dst.put(segment.asSlice(index, length).asByteBuffer());
        return this;
    }

    @Override
    public ByteBuf getBytes(int index, OutputStream out, int length) throws IOException {
        checkIndex(index, length);
        byte[] tmp = new byte[Math.min(length, COPY_CHUNK)];
        while (length > 0) {
            int n = Math.min(length, tmp.length);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, index, tmp, 0, n);
            out.write(tmp, 0, n);
            index += n;
            length -= n;
        }
        return this;
    }

    @Override
    public int getBytes(int index, GatheringByteChannel out, int length) throws IOException {
        checkIndex(index, length);
        if (length == 0) {
            return 0;
        }
        return out.write(view(index, length));
    }

    @Override
    public int getBytes(int index, FileChannel out, long position, int length) throws IOException {
        checkIndex(index, length);
        if (length == 0) {
            return 0;
        }
        return out.write(view(index, length), position);
    }

    @Override
    public ByteBuf copy(int index, int length) {
        checkIndex(index, length);
        ByteBuf copy = alloc().directBuffer(length);
        try {
            copy.writeBytes(view(index, length));
            return copy;
        } catch (RuntimeException e) {
            copy.release();
            throw e;
        }
    }

    @Override
    public int nioBufferCount() {
        return 1;
    }

    /** A new read-only view; like all views of the window it is valid only while this buffer is referenced. */
    @Override
    public ByteBuffer nioBuffer(int index, int length) {
        checkIndex(index, length);
        return view(index, length);
    }

    @Override
    public ByteBuffer internalNioBuffer(int index, int length) {
        checkIndex(index, length);
        return view(index, length);
    }

    @Override
    public ByteBuffer[] nioBuffers(int index, int length) {
        return new ByteBuffer[] {nioBuffer(index, length)};
    }

    private ByteBuffer view(int index, int length) {
        // The segment is read-only, so the view is a read-only direct ByteBuffer, big-endian, position 0.
        return segment.asSlice(index, length).asByteBuffer();
    }

    // ---- writes: a mapped window is read-only ----

    @Override
    protected void _setByte(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setShort(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setShortLE(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setMedium(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setMediumLE(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setInt(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setIntLE(int index, int value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setLong(int index, long value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    protected void _setLongLE(int index, long value) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuf src, int srcIndex, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBuf setBytes(int index, byte[] src, int srcIndex, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public ByteBuf setBytes(int index, ByteBuffer src) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int setBytes(int index, InputStream in, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int setBytes(int index, ScatteringByteChannel in, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public int setBytes(int index, FileChannel in, long position, int length) {
        throw new ReadOnlyBufferException();
    }

    @Override
    public String toString() {
        return "MappedByteBuf(ridx: " + readerIndex() + ", widx: " + writerIndex() + ", cap: " + capacity + ", refCnt: "
                + refCnt() + ", " + window + ")";
    }
}
