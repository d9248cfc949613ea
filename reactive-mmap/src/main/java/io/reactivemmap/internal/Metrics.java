package io.reactivemmap.internal;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Process-wide counters behind {@code MappingStats.snapshot()}. Live gauges are {@link AtomicLong}s so a snapshot
 * taken when nothing is mapped reads exactly zero; monotonic totals are {@link LongAdder}s.
 */
public final class Metrics {
    public static final AtomicLong LIVE_WINDOWS = new AtomicLong();
    public static final AtomicLong MAPPED_BYTES = new AtomicLong();
    public static final AtomicLong PEAK_MAPPED_BYTES = new AtomicLong();
    public static final LongAdder WINDOWS_MAPPED = new LongAdder();
    public static final LongAdder WINDOWS_UNMAPPED = new LongAdder();
    public static final LongAdder BYTES_MAPPED_TOTAL = new LongAdder();
    public static final LongAdder BUDGET_WAITS = new LongAdder();
    public static final LongAdder BUDGET_REJECTIONS = new LongAdder();
    public static final LongAdder ADVICE_FAILURES = new LongAdder();
    public static final LongAdder DEFERRED_UNMAPS = new LongAdder();
    /** {@code FileTruncatedException}s made: each is a read that found its file shorter than when its stream started. */
    public static final LongAdder TRUNCATIONS = new LongAdder();

    private Metrics() {
    }

    public static void mapped(long bytes) {
        LIVE_WINDOWS.incrementAndGet();
        long now = MAPPED_BYTES.addAndGet(bytes);
        PEAK_MAPPED_BYTES.accumulateAndGet(now, Math::max);
        WINDOWS_MAPPED.increment();
        BYTES_MAPPED_TOTAL.add(bytes);
    }

    public static void unmapped(long bytes) {
        LIVE_WINDOWS.decrementAndGet();
        MAPPED_BYTES.addAndGet(-bytes);
        WINDOWS_UNMAPPED.increment();
    }
}
