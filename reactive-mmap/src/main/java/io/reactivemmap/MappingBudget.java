package io.reactivemmap;

import io.reactivemmap.internal.MapCount;
import io.reactivemmap.internal.Metrics;

import org.jspecify.annotations.Nullable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
            Long.getLong("reactivemmap.budget.maxBytes", 256L << 30), null);

    private final long maxWindows;
    private final long maxBytes;
    /** The budget this one lies inside, or null for an outermost budget. */
    private final @Nullable MappingBudget parent;
    /** Guards the counts and the queue. Held for a few field updates only; never while a waiter's code runs. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Written under {@link #lock}, read without it by {@link #liveWindows()} and {@link #mappedBytes()}. */
    private volatile long windows;
    private volatile long bytes;
    private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    private MappingBudget(long maxWindows, long maxBytes, @Nullable MappingBudget parent) {
        if (maxWindows < 1) {
            throw new IllegalArgumentException("maxWindows must be at least 1 (got " + maxWindows + ")");
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be at least 1 (got " + maxBytes + ")");
        }
        this.maxWindows = maxWindows;
        this.maxBytes = maxBytes;
        this.parent = parent;
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
        return new MappingBudget(maxWindows, maxBytes, null);
    }

    /**
     * A new budget inside {@code parent}: its windows count against both (see <em>Nested budgets</em> above). Use one per
     * group of sources that must not take more than a share of the parent, such as the streams of one client.
     *
     * @param maxWindows how many windows this budget's sources may map at once (at least 1)
     * @param maxBytes how many bytes they may map together (at least 1; one window larger than this is still allowed
     *                 when nothing else of this budget is mapped)
     * @param parent the budget they count against as well, for example {@link #global()}
     */
    public static MappingBudget of(long maxWindows, long maxBytes, MappingBudget parent) {
        Objects.requireNonNull(parent, "parent");
        return new MappingBudget(maxWindows, maxBytes, parent);
    }

    /** The budget this one lies inside, or {@code null} for an outermost budget such as {@link #global()}. */
    public @Nullable MappingBudget parent() {
        return parent;
    }

    /** The most windows mapped at once under this budget. */
    public long maxWindows() {
        return maxWindows;
    }

    /** The most bytes mapped at once under this budget. */
    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Windows currently counted against this budget (including shares reserved for woken sources, and for a nested
     * budget the shares its sources hold while they wait for the parent's).
     */
    public long liveWindows() {
        return windows;
    }

    /** Bytes currently counted against this budget (including shares reserved for woken sources). */
    public long mappedBytes() {
        return bytes;
    }

    /**
     * Sources queued for this budget's own limits right now (the sources of a nested budget that wait for its parent
     * are counted by the parent).
     */
    public int waiting() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A source's place in the queue of one budget. Its fields are guarded by that budget's lock, except {@code up},
     * which only the source's own (serialised) calls touch; {@code wake} runs (outside the lock, through the
     * trampoline) when a share was reserved for it.
     */
    static final class Waiter {
        final Runnable wake;
        private long size;
        private boolean queued;
        /** When it joined the queue ({@link System#nanoTime()}). */
        private long queuedAt;
        /** A share of {@code size} bytes (and one window) is reserved for this waiter and not yet taken. */
        private boolean granted;
        /** Nested budgets only: this waiter has taken a share of {@code size} bytes and waits for the parent's. */
        private boolean held;
        /** Nested budgets only: the same source's place in the parent's queue, made on first use. */
        private @Nullable Waiter up;

        Waiter(Runnable wake) {
            this.wake = wake;
        }

        private Waiter up() {
            Waiter u = up;
            if (u == null) {
                u = new Waiter(wake);
                up = u;
            }
            return u;
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

    /**
     * As {@link #tryAcquire(long)}, taking first a share reserved for {@code waiter} if it has one. In a nested budget
     * a share of this budget that was reserved for the waiter (it had queued for this very window) is kept when the
     * parent has none to give: the waiter's next {@link #acquire} continues at the parent. A share taken here for the
     * attempt alone is given back.
     */
    boolean tryAcquire(long size, @Nullable Waiter waiter) {
        boolean fresh;
        lock.lock();
        try {
            if (waiter != null && waiter.granted) {
                waiter.granted = false; // reserved for this very window: a source queues for the window at its position
                if (parent == null) {
                    return true;
                }
                waiter.held = true;
                fresh = false;
            } else if (waiter != null && waiter.held) {
                fresh = false;
            } else {
                if (!queue.isEmpty() || !fits(size)) {
                    return false;
                }
                take(size);
                if (parent == null) {
                    return true;
                }
                fresh = true;
            }
        } finally {
            lock.unlock();
        }
        MappingBudget p = Objects.requireNonNull(parent);
        if (p.tryAcquire(size, waiter == null ? null : waiter.up())) {
            if (waiter != null) {
                clearHeld(waiter);
            }
            return true;
        }
        if (fresh) {
            release(size, false);
        }
        return false;
    }

    private void clearHeld(Waiter waiter) {
        lock.lock();
        try {
            waiter.held = false;
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
            if (waiter.held) {
                // nested: this budget's share is already ours, the parent's is what the waiter waits for
            } else if (waiter.granted) {
                waiter.granted = false;
                if (parent == null) {
                    return true;
                }
                waiter.held = true;
            } else if (waiter.queued) {
                return false;
            } else if (queue.isEmpty() && fits(size)) {
                take(size);
                if (parent == null) {
                    return true;
                }
                waiter.size = size;
                waiter.held = true;
            } else {
                waiter.size = size;
                waiter.queued = true;
                waiter.queuedAt = System.nanoTime();
                queue.add(waiter);
                Metrics.BUDGET_WAITS.increment();
                return false;
            }
        } finally {
            lock.unlock();
        }
        // Nested, holding this budget's share: the parent's next. Queued there, the waiter is woken by the parent.
        MappingBudget p = Objects.requireNonNull(parent);
        if (p.acquire(size, waiter.up())) {
            clearHeld(waiter);
            return true;
        }
        return false;
    }

    /**
     * When {@code waiter} joined the queue of the outermost budget ({@link System#nanoTime()}), or -1 if it is not
     * queued there: not waiting at all, holding a reserved share, or waiting for a nested budget's own limits.
     */
    long outermostQueuedSince(Waiter waiter) {
        if (parent != null) {
            boolean held;
            lock.lock();
            try {
                held = waiter.held;
            } finally {
                lock.unlock();
            }
            Waiter up = waiter.up;
            return held && up != null ? Objects.requireNonNull(parent).outermostQueuedSince(up) : -1;
        }
        lock.lock();
        try {
            return waiter.queued ? waiter.queuedAt : -1;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Takes {@code waiter} out of the queue and gives back any share reserved for it and not taken (in a nested budget:
     * at every level, the share it holds while waiting for the parent's included).
     */
    void withdraw(Waiter waiter) {
        Waiter up = waiter.up;
        MappingBudget p = parent;
        if (p != null && up != null) {
            p.withdraw(up);
        }
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
            if (waiter.held) {
                waiter.held = false;
                windows = windows - 1;
                bytes = bytes - waiter.size;
            }
            woken = grantToQueue(); // the waiter may have been the head that did not fit
        } finally {
            lock.unlock();
        }
        wakeAll(woken);
    }

    /**
     * Returns a window's share (to the parent as well, first, so the share a woken source of this budget then asks
     * the parent for is there) and reserves what it frees for the sources at the head of the queue.
     */
    void release(long size) {
        release(size, true);
    }

    private void release(long size, boolean toParent) {
        MappingBudget p = parent;
        if (toParent && p != null) {
            p.release(size);
        }
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
        return "MappingBudget[windows " + windows + "/" + maxWindows + ", bytes " + bytes + "/" + maxBytes
                + (parent == null ? "" : ", inside " + parent) + "]";
    }
}
