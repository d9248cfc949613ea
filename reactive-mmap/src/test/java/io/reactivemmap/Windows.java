package io.reactivemmap;

import io.reactivemmap.internal.NativeAccess;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Assertions and small helpers shared by the core tests. */
final class Windows {
    static final int PAGE = NativeAccess.pageSize();

    private Windows() {
    }

    /** Options with a private budget, so a test can watch exactly what its subscription keeps mapped. */
    /**
     * Options for tests that count windows exactly at each step. Populate-ahead (on by default) is off here: its
     * prefetch thread holds a reference while it faults a read-ahead window in, so closing that window unmaps it a
     * moment later on that thread instead of at once; AdviceOptionsTest and PopulateAheadTest cover it.
     */
    static MapOptions options(int windowSize, int readAhead, MappingBudget budget) {
        return MapOptions.defaults().withWindowSize(windowSize).withReadAhead(readAhead).withBudget(budget)
                .withPopulateAhead(false);
    }

    static MappingBudget privateBudget() {
        return MappingBudget.of(1_000_000, 1L << 40);
    }

    /** Fails unless every byte of the window equals the pattern file's byte at that position (via the segment). */
    static void assertPatternBytes(MappedWindow w) {
        MemorySegment s = w.segment();
        assertEquals(w.length(), s.byteSize(), () -> "segment size of " + w);
        for (int i = 0; i < w.length(); i++) {
            byte actual = s.get(ValueLayout.JAVA_BYTE, i);
            if (actual != TestFiles.byteAt(w.offset() + i)) {
                fail("byte at file offset " + (w.offset() + i) + " in " + w + ": expected " + TestFiles.byteAt(w.offset() + i)
                        + " but was " + actual);
            }
        }
    }

    /** The same check through a {@link ByteBuffer} view, absolute gets. */
    static void assertPatternBytesViaBuffer(MappedWindow w) {
        ByteBuffer b = w.asByteBuffer();
        assertEquals(0, b.position());
        assertEquals(w.length(), b.limit(), () -> "buffer limit of " + w);
        for (int i = 0; i < w.length(); i++) {
            if (b.get(i) != TestFiles.byteAt(w.offset() + i)) {
                fail("byte at file offset " + (w.offset() + i) + " in " + w + " (via ByteBuffer): expected "
                        + TestFiles.byteAt(w.offset() + i) + " but was " + b.get(i));
            }
        }
    }

    /** Waits up to {@code timeout} for {@code condition}; fails with {@code message} if it never holds. */
    static void await(Duration timeout, BooleanSupplier condition, String message) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(message);
            }
            Thread.sleep(2);
        }
    }
}
