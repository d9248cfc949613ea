package io.reactivemmap;

import io.reactivemmap.internal.MapCount;
import io.reactivemmap.internal.Metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

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
 * <h2>Waiting</h2>
 * A source that needs a window the budget cannot give now joins a queue and is served <strong>in arrival
 * order</strong>: each release hands the freed share straight to the waiters at the head of the queue that it fits
 * (the share is reserved for them, so no newcomer can take it first), and a window is never granted out of order
 * to a later, smaller request while an earlier one waits (no waiter is starved by a stream of small ones). Windows
 * mapped ahead of demand never wait and never take budget while anyone is queued. Releasing never runs a woken
 * source's work inside a caller's stack of other wake-ups: wake-ups started on a thread that is already waking
 * sources are queued on that thread and run one after another (a trampoline), so closing a window never recurses,
 * however many sources wait.
 *
 * <p>Thread-safe.
 */
public final class MappingBudget {
    private static final MappingBudget GLOBAL = new MappingBudget(
            Long.getLong("reactivemmap.budget.maxWindows", Math.max(16, MapCount.maxMapCount().orElse(65536) / 8)),
            Long.getLong("reactivemmap.budget.maxBytes", 256L << 30));

    private final long maxWindows;
    private final long maxBytes;
    /** Guards the counts and the queue. Held for a few field updates only; never while a waiter's code runs. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Written under {@link #lock}, read without it by {@link #liveWindows()} and {@link #mappedBytes()}. */
    private volatile long windows;
    private volatile long bytes;
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

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

    /** Windows currently counted against this budget (including shares reserved for woken sources). */
    public long liveWindows() {
        return windows;
    }

    /** Bytes currently counted against this budget (including shares reserved for woken sources). */
    public long mappedBytes() {
        return bytes;
    }

    /** Sources queued for budget right now. */
    public int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A source's place in the queue. Its fields are guarded by the budget's lock; {@code wake} runs (outside the
     * lock, through the trampoline) when a share was reserved for it.
     */
    static final class Waiter {
        final Runnable wake;
        private long size;
        private boolean queued;
        /** A share of {@code size} bytes (and one window) is reserved for this waiter and not yet taken. */
        private boolean granted;

        Waiter(Runnable wake) {
            this.wake = wake;
        }
    }

    private boolean fits(long size) {
        return windows < maxWindows && (bytes == 0 || bytes + size <= maxBytes);
    }

    private void take(long size) {
        windows = windows + 1;
        bytes = bytes + size;
    }

    /**
     * Takes one window of {@code size} bytes if it fits now and nobody is queued (queued sources come first), or
     * returns {@code false}. For windows that may be skipped: read-ahead, and sources that fail instead of waiting.
     */
    boolean tryAcquire(long size) {
        return tryAcquire(size, null);
    }

    /** As {@link #tryAcquire(long)}, taking first a share reserved for {@code waiter} if it has one. */
    boolean tryAcquire(long size, @org.jspecify.annotations.Nullable Waiter waiter) {
        lock.lock();
        try {
            if (waiter != null && waiter.granted) {
                waiter.granted = false; // reserved for this very window: a source queues for the window at its position
                return true;
            }
            if (!queue.isEmpty() || !fits(size)) {
                return false;
            }
            take(size);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes one window of {@code size} bytes for {@code waiter}: a share reserved for it earlier, or a new one if it
     * fits and nobody is ahead of it. Otherwise queues the waiter (once; calling again while queued keeps its place)
     * and returns {@code false}: its {@code wake} runs when a share has been reserved for it.
     *
     * <p>Invariant, kept by every method that frees budget or changes the head of the queue: when the lock is free,
     * the head of the queue does not fit. So a waiter added at the tail never fits at once.
     */
    boolean acquire(long size, Waiter waiter) {
        lock.lock();
        try {
            if (waiter.granted) {
                waiter.granted = false;
                return true;
            }
            if (waiter.queued) {
                return false;
            }
            if (queue.isEmpty() && fits(size)) {
                take(size);
                return true;
            }
            waiter.size = size;
            waiter.queued = true;
            queue.add(waiter);
            Metrics.BUDGET_WAITS.increment();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Takes {@code waiter} out of the queue and gives back any share reserved for it and not taken. */
    void withdraw(Waiter waiter) {
        List<Waiter> woken;
        lock.lock();
        try {
            if (waiter.queued) {
                waiter.queued = false;
                queue.remove(waiter);
            }
            if (waiter.granted) {
                waiter.granted = false;
                windows = windows - 1;
                bytes = bytes - waiter.size;
            }
            woken = grantToQueue(); // the waiter may have been the head that did not fit
        } finally {
            lock.unlock();
        }
        wakeAll(woken);
    }

    /** Returns a window's share and reserves what it frees for the sources at the head of the queue. */
    void release(long size) {
        List<Waiter> woken;
        lock.lock();
        try {
            windows = windows - 1;
            bytes = bytes - size;
            woken = grantToQueue();
        } finally {
            lock.unlock();
        }
        wakeAll(woken);
    }

    /** Reserves shares for the waiters at the head of the queue while they fit, strictly in arrival order. */
    private List<Waiter> grantToQueue() {
        List<Waiter> woken = null;
        Waiter head;
        while ((head = queue.peek()) != null && fits(head.size)) {
            queue.poll();
            head.queued = false;
            head.granted = true;
            take(head.size);
            if (woken == null) {
                woken = new ArrayList<>(2);
            }
            woken.add(head);
        }
        return woken == null ? List.of() : woken;
    }

    private static void wakeAll(List<Waiter> woken) {
        for (Waiter w : woken) {
            Trampoline.run(w.wake);
        }
    }

    /**
     * Runs wake-ups without nesting them: a wake-up that starts while this thread is already running one (a woken
     * source emitted a window whose subscriber closed another, which woke a third source, ...) is queued and run
     * after the current one returns, so the stack stays flat however long the chain.
     */
    static final class Trampoline {
        private static final ThreadLocal<ArrayDeque<Runnable>> PENDING = new ThreadLocal<>();

        private Trampoline() {
        }

        static void run(Runnable task) {
            ArrayDeque<Runnable> pending = PENDING.get();
            if (pending != null) {
                pending.add(task);
                return;
            }
            pending = new ArrayDeque<>();
            PENDING.set(pending);
            try {
                Runnable next = task;
                while (next != null) {
                    try {
                        next.run();
                    } catch (Throwable t) {
                        // A wake-up only drains a source, which signals its own errors; never let one stop the others.
                        Thread.currentThread().getUncaughtExceptionHandler().uncaughtException(Thread.currentThread(), t);
                    }
                    next = pending.poll();
                }
            } finally {
                PENDING.remove();
            }
        }
    }

    @Override
    public String toString() {
        return "MappingBudget[windows " + windows + "/" + maxWindows + ", bytes " + bytes + "/" + maxBytes + "]";
    }
}
