package io.reactivemmap.benchmarks;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The one summing kernel every read path uses: the sum of the file read as little-endian longs at 8-aligned file
 * offsets. Pieces may arrive in any sizes (a peer's short read, an 8 KiB buffer, a 16 MiB window): bytes of a long
 * split across two pieces are carried over, so every peer must produce the same checksum for the same bytes, and the
 * harness checks that it does. Heap and native pieces alike go through {@link MemorySegment}s
 * ({@link MemorySegment#ofBuffer}, {@link MemorySegment#ofArray}), so the hot loop is the same code for everyone.
 *
 * <p>An optional byte limit lets slow peers be measured over a prefix of the file.
 */
public final class LongSum {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long limit;
    private long sum;
    private long carry;
    private int carried;
    private long bytes;

    LongSum(long limit) {
        this.limit = limit;
    }

    LongSum() {
        this(Long.MAX_VALUE);
    }

    /** Adds the next piece of the stream (at most up to the limit). */
    void add(MemorySegment piece) {
        long n = Math.min(piece.byteSize(), limit - bytes);
        if (n <= 0) {
            return;
        }
        long i = 0;
        if (carried != 0) {
            while (carried < 8 && i < n) {
                carry |= (piece.get(ValueLayout.JAVA_BYTE, i) & 0xFFL) << (8 * carried);
                carried++;
                i++;
            }
            if (carried == 8) {
                sum += carry;
                carry = 0;
                carried = 0;
            }
        }
        long full = i + ((n - i) & ~7L);
        sum += sumLongs(piece, i, full);
        for (long j = full; j < n; j++) {
            carry |= (piece.get(ValueLayout.JAVA_BYTE, j) & 0xFFL) << (8 * carried);
            carried++;
        }
        bytes += n;
    }

    /**
     * The hot loop: the plain sum of the longs in {@code [from, to)}.
     *
     * <p>The loop exists three times with identical text, one per kind of segment (mapped, other native memory,
     * Java heap). This is about the JIT, not about the peers: a single copy sees three segment classes at its
     * accessor call sites, its type profile goes megamorphic, and then every peer sums at about 1 GB/s instead of
     * about 28 (measured here). Each copy stays monomorphic, so each peer gets the best code for the memory it reads.
     */
    public static long sumLongs(MemorySegment segment, long from, long to) {
        if (!segment.isNative()) {
            return sumHeap(segment, from, to);
        }
        return segment.isMapped() ? sumMapped(segment, from, to) : sumNative(segment, from, to);
    }

    private static long sumMapped(MemorySegment segment, long from, long to) {
        long s = 0;
        for (long i = from; i < to; i += 8) {
            s += segment.get(LONG, i);
        }
        return s;
    }

    private static long sumNative(MemorySegment segment, long from, long to) {
        long s = 0;
        for (long i = from; i < to; i += 8) {
            s += segment.get(LONG, i);
        }
        return s;
    }

    private static long sumHeap(MemorySegment segment, long from, long to) {
        long s = 0;
        for (long i = from; i < to; i += 8) {
            s += segment.get(LONG, i);
        }
        return s;
    }

    boolean full() {
        return bytes >= limit;
    }

    long bytes() {
        return bytes;
    }

    /** The checksum: the longs' sum, plus a trailing partial long (zero-extended) if the stream ended inside one. */
    long result() {
        return sum + (carried != 0 ? carry : 0);
    }
}
