package io.reactivemmap;

import io.reactivemmap.internal.MapCount;
import io.reactivemmap.internal.Metrics;

import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A limit on live windows and mapped bytes, shared by every source that uses it.
 *
 * <p>Every {@code mmap} costs one of the process's {@code vm.max_map_count} mappings (65530 by default, and the JVM
 * itself uses a few hundred). Past the limit {@code mmap} fails with {@code ENOMEM}, and the JVM, which then cannot
 * map memory for its own threads and heap, may die. A budget keeps the library far below that line: when it is
 * spent, sources wait (as backpressure) until windows are unmapped, or fail with
 * {@link MappingBudgetExhaustedException} if {@link MapOptions#failWhenBudgetExhausted()} says so.
 *
 * <p>The {@linkplain #global() global budget} is what {@link MapOptions#defaults()} uses: at most
 * {@code max_map_count / 8} windows (8191 with the default limit; 8192 where /proc does not tell) and 256 GiB of
 * mapped address space. The system properties {@code reactivemmap.budget.maxWindows} and
 * {@code reactivemmap.budget.maxBytes} override both at start-up. Create a separate budget with {@link #of} to
 * give one part of an application its own limit.
 *
 * <p>Thread-safe.
 */
public final class MappingBudget {
    private static final MappingBudget GLOBAL = new MappingBudget(
            Long.getLong("reactivemmap.budget.maxWindows", Math.max(16, MapCount.maxMapCount().orElse(65536) / 8)),
            Long.getLong("reactivemmap.budget.maxBytes", 256L << 30));

    private final long maxWindows;
    private final long maxBytes;
    private final AtomicLong windows = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final ConcurrentLinkedQueue<Runnable> waiters = new ConcurrentLinkedQueue<>();

    private MappingBudget(long maxWindows, long maxBytes) {
        if (maxWindows < 1) {
            throw new IllegalArgumentException("maxWindows must be at least 1 (got " + maxWindows + ")");
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1 (got " + maxBytes + ")");
        }
        this.maxWindows = maxWindows;
        this.maxBytes = maxBytes;
    }

    /** The process-wide budget that sources use unless told otherwise. */
    public static MappingBudget global() {
        return GLOBAL;
    }

    /**
     * A new, independent budget.
     *
     * @param maxWindows how many windows may be mapped at once (at least 1)
     * @param maxBytes how many bytes they may map together (at least 1; a single window larger than this is still
     *                 allowed when nothing else is mapped, so a stream always makes progress)
     */
    public static MappingBudget of(long maxWindows, long maxBytes) {
        return new MappingBudget(maxWindows, maxBytes);
    }

    public long maxWindows() {
        return maxWindows;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Windows currently counted against this budget. */
    public long liveWindows() {
        return windows.get();
    }

    /** Bytes currently counted against this budget. */
    public long mappedBytes() {
        return bytes.get();
    }

    /** Takes one window of {@code size} bytes from the budget, or returns {@code false} when it is spent. */
    boolean tryAcquire(long size) {
        for (;;) {
            long w = windows.get();
            if (w >= maxWindows) {
                return false;
            }
            if (windows.compareAndSet(w, w + 1)) {
                break;
            }
        }
        for (;;) {
            long b = bytes.get();
            if (b != 0 && b + size > maxBytes) {
                windows.decrementAndGet();
                return false;
            }
            if (bytes.compareAndSet(b, b + size)) {
                return true;
            }
        }
    }

    /** Returns a window's share and wakes the sources waiting for budget. */
    void release(long size) {
        windows.decrementAndGet();
        bytes.addAndGet(-size);
        Runnable waiter;
        // Wake every waiter: each one retries and, if it loses the race, registers again.
        int n = waiters.size();
        while (n-- > 0 && (waiter = waiters.poll()) != null) {
            waiter.run();
        }
    }

    /** Registers a one-shot callback to run when budget is released. The caller must retry after registering. */
    void await(Runnable waiter) {
        Metrics.BUDGET_WAITS.increment();
        waiters.add(Objects.requireNonNull(waiter));
    }

    void cancelAwait(Runnable waiter) {
        waiters.remove(waiter);
    }

    @Override
    public String toString() {
        return "MappingBudget[windows " + windows.get() + "/" + maxWindows + ", bytes " + bytes.get() + "/" + maxBytes + "]";
    }
}
