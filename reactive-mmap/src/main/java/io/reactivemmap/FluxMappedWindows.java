package io.reactivemmap;

import io.reactivemmap.internal.Background;
import io.reactivemmap.internal.Metrics;
import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;

/**
 * The source behind {@link MappedFile#windows}: maps one window per unit of demand, at most
 * {@link MapOptions#readAhead()} beyond it, never more than {@link MapOptions#maxLiveBytes()} live per
 * subscription, and never past its {@link MappingBudget}.
 *
 * <p>All mapping happens in the drain loop, which one thread at a time runs (the classic work-in-progress
 * counter): the thread calling {@code request}, or the thread whose {@code close()} freed capacity. Nothing is
 * mapped on {@code subscribe}; the file is only opened and measured there.
 */
final class FluxMappedWindows extends Flux<MappedWindow> {
    private final Path path;
    private final long offset;
    /** Bytes to stream from {@code offset}, or -1 for "to the end of the file". */
    private final long length;
    private final MapOptions options;
    /** A channel the caller opened and keeps, or null to open {@code path} per subscription. */
    private final @Nullable FileChannel borrowed;

    FluxMappedWindows(Path path, long offset, long length, MapOptions options) {
        this(path, offset, length, options, null);
    }

    FluxMappedWindows(Path path, long offset, long length, MapOptions options, @Nullable FileChannel borrowed) {
        this.path = path;
        this.offset = offset;
        this.length = length;
        this.options = options;
        this.borrowed = borrowed;
    }

    @Override
    public void subscribe(CoreSubscriber<? super MappedWindow> actual) {
        SharedFile file;
        long end;
        try {
            file = borrowed == null ? SharedFile.open(path) : SharedFile.borrow(path, borrowed);
            try {
                end = file.resolveEnd(offset, length);
            } catch (IOException | RuntimeException e) {
                file.release();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            Operators.error(actual, e);
            return;
        }
        if (end == offset) {
            file.release();
            Operators.complete(actual);
            return;
        }
        actual.onSubscribe(new WindowSubscription(actual, file, offset, end, options));
    }

    @Override
    public String toString() {
        return "MappedFile.windows(" + path + ")";
    }

    /**
     * One subscription's state machine.
     *
     * <h2>Who runs what</h2>
     * All mapping, emitting and terminating happens in the drain loop, which one thread at a time runs (the classic
     * work-in-progress counter {@code wip}): the thread calling {@code request} or {@code cancel}, the thread whose
     * {@code close()} freed capacity, or the thread that released budget this subscription was queued for. Everything
     * the loop touches ({@code next}, {@code ahead}, {@code actual}, {@code terminated}) is confined to it.
     *
     * <h2>Cancellation against emission</h2>
     * An {@link EmissionGate} holds two bits, {@code CANCELLED} and {@code EMITTING}, changed only by compare-and-set:
     * <ul>
     *   <li>Before each {@code onNext(window)} the loop <em>claims</em> the emission: it sets {@code EMITTING} only if
     *   {@code CANCELLED} is clear, and clears it when {@code onNext} returns. If {@code CANCELLED} is set, the window
     *   is closed by the source instead, so every window the source mapped is either emitted exactly once or unmapped
     *   by the source, on every interleaving.</li>
     *   <li>{@code cancel()} sets {@code CANCELLED}. If it finds {@code EMITTING} set by <em>another</em> thread, it
     *   waits until that {@code onNext} has returned (spinning briefly, then parking). So once {@code cancel()} has
     *   returned, no {@code onNext} is running or will start: an operator that cancels and then discards what it
     *   queued sees every window it will ever get. A {@code cancel()} from inside {@code onNext} on the emitting
     *   thread itself (as {@code take(n)} does) returns at once. The cost: a cancel from another thread waits for the
     *   one {@code onNext} in progress, however long the subscriber takes in it.</li>
     *   <li>The cancelling thread then drains: the loop (on whichever thread holds it) closes the windows read ahead,
     *   leaves the budget queue, gives back a share reserved for it and releases the file.</li>
     * </ul>
     *
     * <h2>Budget</h2>
     * A demanded window that the budget cannot give now queues this subscription's {@link MappingBudget.Waiter}
     * (once); the budget reserves the share for it when one is released and drains this subscription again, through
     * its trampoline (never recursively). Windows read ahead never queue. With {@link MapOptions#budgetWaitTimeout()}
     * set, a timer drains the subscription again when the wait in the outermost budget's queue would reach it; that
     * drain finds the waiter still queued, withdraws it and fails the stream with
     * {@link MappingBudgetExhaustedException}. A share granted first wins: the drain then maps the window and cancels
     * the timer.
     *
     * <h2>Mapping and interrupts</h2>
     * A mapping is counted in the statistics from the moment {@code mmap} returns. Files the library opened itself
     * (with native access on) are mapped with {@code mmap} on a bare descriptor, which thread interrupts cannot
     * affect: mapping on an interruptible thread (a {@code subscribeOn}/{@code publishOn} worker, which Reactor
     * interrupts on cancel) is supported there, and the interrupt status is left alone. Borrowed channels, and all
     * files when native access is off, are mapped with {@code FileChannel.map}: a pending interrupt is set aside for
     * the call and restored after it, and an interrupt that arrives <em>during</em> the call closes the channel (JDK
     * behaviour) and fails the stream with an {@link java.io.InterruptedIOException} that says so.
     */
    static final class WindowSubscription implements Subscription, Scannable, MappedWindow.Owner {
        private static final VarHandle WIP;
        private static final VarHandle REQUESTED;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                WIP = lookup.findVarHandle(WindowSubscription.class, "wip", int.class);
                REQUESTED = lookup.findVarHandle(WindowSubscription.class, "requested", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        /**
         * The subscriber; replaced by a no-op one at termination (cancel, error, complete) so that windows the
         * subscriber still holds, which reference this subscription, do not keep it and its chain reachable
         * (rule 3.13). Read and written only in the drain loop, like {@code ahead}.
         */
        private CoreSubscriber<? super MappedWindow> actual;
        private final SharedFile file;
        private final long end;
        private final MapOptions options;
        private final MappingBudget budget;
        /** This subscription's place in its budget's queue. */
        private final MappingBudget.Waiter budgetWaiter = new MappingBudget.Waiter(this::drain);
        /** Bytes mapped by this subscription and not yet unmapped (read ahead, or emitted and not yet closed). */
        private final AtomicLong liveBytes = new AtomicLong();
        /** {@link MapOptions#budgetWaitTimeout()} in nanoseconds, or -1 to wait as long as it takes. */
        private final long budgetWaitNanos;
        /** The timer that ends a budget wait, or null; touched only inside the drain loop. */
        private @Nullable ScheduledFuture<?> budgetTimer;
        /** Set while {@link #budgetTimer} has not run yet (it clears this before it drains). */
        private volatile boolean budgetTimerPending;

        // Touched only inside the drain loop.
        private long next;
        private final ArrayDeque<MappedWindow> ahead = new ArrayDeque<>();
        private boolean terminated;

        @SuppressWarnings("unused") private volatile int wip;
        @SuppressWarnings("unused") private volatile long requested;
        /** The CANCELLED and EMITTING bits, shared with the records operator. */
        private final EmissionGate gate = new EmissionGate();
        private volatile @Nullable Throwable badRequest;

        WindowSubscription(CoreSubscriber<? super MappedWindow> actual, SharedFile file, long start, long end,
                           MapOptions options) {
            this.actual = actual;
            this.file = file;
            this.next = start;
            this.end = end;
            this.options = options;
            this.budget = options.budget();
            this.budgetWaitNanos = options.budgetWaitTimeout() == null ? -1 : options.budgetWaitTimeout().toNanos();
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Rule 3.9: signal, never throw from request.
                badRequest = new IllegalArgumentException("§3.9 violated: request must be positive, but was " + n);
            } else {
                io.reactivemmap.internal.Demand.add(REQUESTED, this, n);
            }
            drain();
        }

        @Override
        public void cancel() {
            gate.cancel();
            drain();
        }

        private boolean isCancelled() {
            return gate.isCancelled();
        }

        @Override
        public void unmapped(MappedWindow window) {
            liveBytes.addAndGet(-window.mappingSize());
            budget.release(window.mappingSize());
            if (options.dropBehind()) {
                file.dropCache(window.mappingOffset(), window.mappingSize());
            }
            file.release();
            // Capacity came back: the source may map and emit the next window now.
            drain();
        }

        private void drain() {
            if ((int) WIP.getAndAdd(this, 1) != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                if (!terminated) {
                    drainLoop();
                }
                missed = (int) WIP.getAndAdd(this, -missed) - missed;
                if (missed == 0) {
                    return;
                }
            }
        }

        private void drainLoop() {
            try {
                if (isCancelled()) {
                    terminate();
                    return;
                }
                Throwable bad = badRequest;
                if (bad != null) {
                    fail(bad);
                    return;
                }
                long r = (long) REQUESTED.getVolatile(this);
                long e = 0;
                while (e != r) {
                    if (isCancelled()) {
                        terminate();
                        return;
                    }
                    MappedWindow w = ahead.poll();
                    if (w == null) {
                        if (next >= end) {
                            break;
                        }
                        w = mapNext(true);
                        if (w == null) {
                            break; // waiting for capacity or budget; a close() or budget grant drains again
                        }
                    }
                    Throwable truncated = truncation(w);
                    if (truncated != null) {
                        w.close();
                        fail(truncated);
                        return;
                    }
                    // Map (and start faulting in) the next window before handing this one over, so the reader's
                    // work on this window overlaps the prefetch of the next.
                    try {
                        readAhead();
                    } catch (Throwable t) {
                        // w is neither read ahead nor emitted any more: it is ours to close (for example when the
                        // file was truncated between this window and the next).
                        w.close();
                        throw t;
                    }
                    if (!gate.claim()) {
                        // Cancelled since the check above, perhaps while w was being mapped: w never leaves the source.
                        w.close();
                        terminate();
                        return;
                    }
                    try {
                        actual.onNext(w);
                    } finally {
                        gate.endEmission();
                    }
                    e++;
                }
                if (e != 0 && r != Long.MAX_VALUE) {
                    REQUESTED.getAndAdd(this, -e);
                }
                if (isCancelled()) {
                    terminate();
                    return;
                }
                if (next >= end && ahead.isEmpty()) {
                    terminated = true;
                    cancelBudgetTimer();
                    budget.withdraw(budgetWaiter);
                    file.close();
                    CoreSubscriber<? super MappedWindow> a = actual;
                    actual = Operators.emptySubscriber();
                    a.onComplete();
                    return;
                }
                readAhead();
            } catch (Throwable t) {
                // Errors from mapping are signalled, never thrown out of request() or close().
                if (t instanceof InternalError fault) {
                    // HotSpot reports a read fault on a truncated mapping (SIGBUS) as an InternalError, sometimes
                    // late, at a safepoint poll after the faulting read: possibly here, in a subscriber's onNext
                    // called by this loop. Reactor treats it as fatal and would rethrow it out of request(). When
                    // the file did shrink, it is the truncation, and it travels as one.
                    long now = file.currentSize();
                    if (now >= 0 && now < end) {
                        FileTruncatedException truncated = new FileTruncatedException(file.path, next, file.size, now);
                        truncated.initCause(fault);
                        t = truncated;
                    }
                }
                Throwable error = Operators.onOperatorError(this, t, actual.currentContext());
                if (terminated) {
                    Operators.onErrorDropped(error, actual.currentContext());
                } else {
                    fail(error);
                }
            }
        }

        private void readAhead() throws IOException {
            while (ahead.size() < options.readAhead() && next < end && !isCancelled()) {
                MappedWindow w = mapNext(false);
                if (w == null) {
                    return;
                }
                ahead.add(w);
                if (options.populateAhead()) {
                    populateInBackground(w);
                } else if (options.sequential()) {
                    NativeAccess.madvise(w.mappingAddress(), w.mappingSize(), NativeAccess.MADV_WILLNEED);
                }
            }
        }

        /** Bytes faulted in per populate call: small enough to stop soon, large enough to amortise the call. */
        private static final long POPULATE_STEP = 1L << 20;

        private static void populateInBackground(MappedWindow w) {
            try {
                Background.execute(() -> {
                    // The reference is taken when the task runs, not when it is queued: a queued task must not keep a
                    // window mapped that its subscriber has closed meanwhile. tryRetain fails once the window is
                    // unmapped, so the address is never touched after that.
                    if (!w.tryRetain()) {
                        return;
                    }
                    try {
                        // In steps, stopping as soon as this task is the window's only holder (the subscriber closed
                        // it, or the stream was cancelled): a window nobody wants is then unmapped after at most one
                        // step, instead of after faulting in the whole window.
                        long base = w.mappingAddress();
                        long size = w.mappingSize();
                        for (long off = 0; off < size && w.refCnt() > 1; off += POPULATE_STEP) {
                            if (!NativeAccess.populate(base + off, Math.min(POPULATE_STEP, size - off))) {
                                break; // past the end of a truncated file: the emission check reports it
                            }
                        }
                    } finally {
                        w.release();
                    }
                });
            } catch (RuntimeException rejected) {
                // no prefetch thread: the reader takes the page faults itself
            }
        }

        /** The truncation of the file under {@code w}, if the file is now shorter than the window's end. */
        private @Nullable Throwable truncation(MappedWindow w) {
            return w.checkIntact().orElse(null);
        }

        /**
         * Maps the window at {@code next}, or returns {@code null} when this subscription's byte bound or the budget
         * does not allow it now (having arranged to be drained again when it does).
         *
         * @param demanded whether a request is waiting for this window ({@code false} when reading ahead)
         */
        private @Nullable MappedWindow mapNext(boolean demanded) throws IOException {
            long start = next;
            int len = (int) Math.min(options.windowSize(), end - start);
            int page = NativeAccess.pageSize();
            long mapStart = start - (start % page);
            long mapSize = start + len - mapStart;

            long live = liveBytes.get();
            if (live > 0 && live + mapSize > options.maxLiveBytes()) {
                return null; // the subscriber holds enough: unmapping one of its windows drains again
            }
            if (!demanded) {
                // Reading ahead is optional: it never queues, and never takes budget while anyone is queued for it.
                if (!budget.tryAcquire(mapSize, budgetWaiter)) {
                    return null;
                }
            } else if (options.failWhenBudgetExhausted()) {
                if (!budget.tryAcquire(mapSize, budgetWaiter)) {
                    Metrics.BUDGET_REJECTIONS.increment();
                    throw new MappingBudgetExhaustedException("cannot map " + file.path + " at offset " + start + ": " + budget
                            + " is spent and failWhenBudgetExhausted is set; close windows sooner, raise the budget "
                            + "(MappingBudget.of, or -Dreactivemmap.budget.maxWindows / maxBytes), or let sources wait");
                }
            } else if (!budget.acquire(mapSize, budgetWaiter)) {
                timeBudgetWait(start);
                return null; // queued: the budget drains this subscription again once it has reserved the share
            }
            cancelBudgetTimer();
            long nowSize = file.currentSize();
            if (nowSize >= 0 && nowSize < start + len) {
                budget.release(mapSize);
                throw new FileTruncatedException(file.path, start, file.size, nowSize);
            }
            Arena arena = Arena.ofShared();
            MemorySegment mapping;
            try {
                if (file.fd >= 0) {
                    // Counted in the statistics by mapReadOnly the moment mmap returns.
                    mapping = NativeAccess.mapReadOnly(file.fd, mapStart, mapSize, arena);
                } else {
                    mapping = mapThroughChannel(mapStart, mapSize, arena);
                    Metrics.mapped(mapSize);
                }
            } catch (IOException | RuntimeException | OutOfMemoryError e) {
                arena.close();
                budget.release(mapSize);
                if (e instanceof ClosedByInterruptException) {
                    throw interrupted(start, e);
                }
                if (e instanceof ClosedChannelException) {
                    throw new IOException(file.path + " cannot be mapped at offset " + start + ": its channel "
                            + "was closed (by its owner, or by the JDK when a thread blocked in it was interrupted)", e);
                }
                throw mapFailed(start, mapSize, e);
            }
            liveBytes.addAndGet(mapSize);
            file.retain();
            next = start + len;
            MappedWindow w = new MappedWindow(file, start, len, arena, mapping, mapStart, this);
            if (options.sequential()) {
                NativeAccess.madvise(mapping.address(), mapSize, NativeAccess.MADV_SEQUENTIAL);
            }
            return w;
        }

        /**
         * Called while the window at {@code start} waits for budget: fails the stream if it has waited in the outermost
         * budget's queue for {@code budgetWaitTimeout}, otherwise makes sure a timer drains again when it will have.
         * Waiting for a nested budget's own limits is not timed: the grant that moves the waiter on to the parent's
         * queue drains this subscription, which starts the timer then.
         */
        private void timeBudgetWait(long start) throws MappingBudgetExhaustedException {
            if (budgetWaitNanos < 0) {
                return;
            }
            long since = budget.outermostQueuedSince(budgetWaiter);
            if (since < 0) {
                return;
            }
            long waited = System.nanoTime() - since;
            if (waited >= budgetWaitNanos) {
                budget.withdraw(budgetWaiter);
                Metrics.BUDGET_REJECTIONS.increment();
                throw new MappingBudgetExhaustedException("cannot map " + file.path + " at offset " + start + ": waited "
                        + waited / 1_000_000 + " ms for budget, the budgetWaitTimeout of " + options.budgetWaitTimeout()
                        + ", and " + budget + " is still spent; close windows sooner, raise the budget (MappingBudget.of, "
                        + "or -Dreactivemmap.budget.maxWindows / maxBytes) or the timeout");
            }
            if (!budgetTimerPending) {
                budgetTimerPending = true;
                try {
                    budgetTimer = Background.schedule(this::budgetTimerFired, budgetWaitNanos - waited);
                } catch (RuntimeException rejected) {
                    budgetTimerPending = false; // no timer thread: the wait is not bounded, as without the option
                }
            }
        }

        private void budgetTimerFired() {
            budgetTimerPending = false;
            drain();
        }

        private void cancelBudgetTimer() {
            ScheduledFuture<?> t = budgetTimer;
            if (t != null) {
                budgetTimer = null;
                budgetTimerPending = false;
                t.cancel(false);
            }
        }

        /**
         * {@code FileChannel.map} with a pending interrupt set aside for the call: the JDK would otherwise close the
         * channel (a borrowed one included) before mapping. The interrupt status is restored as it was found.
         */
        private MemorySegment mapThroughChannel(long mapStart, long mapSize, Arena arena) throws IOException {
            FileChannel channel = file.channel();
            return SharedFile.withInterruptSetAside(() -> channel.map(FileChannel.MapMode.READ_ONLY, mapStart, mapSize, arena));
        }

        private java.io.InterruptedIOException interrupted(long start, Throwable cause) {
            java.io.InterruptedIOException e = new java.io.InterruptedIOException("mapping " + file.path + " at offset "
                    + start + " was interrupted: thread " + Thread.currentThread().getName() + " was interrupted during "
                    + "FileChannel.map, which closes the channel (JDK behaviour). Map on a thread that is not interrupted "
                    + "(Reactor interrupts subscribeOn/publishOn workers on cancel), or let the library open the file "
                    + "itself with native access enabled, where interrupts do not affect mapping");
            e.initCause(cause);
            return e;
        }

        private IOException mapFailed(long start, long mapSize, Throwable cause) {
            return new IOException("mmap of " + file.path + " at offset " + start + " (" + mapSize + " bytes) failed: " + cause
                    + ". The process may be out of mappings (vm.max_map_count, now " + io.reactivemmap.internal.MapCount.maxMapCount().orElse(-1)
                    + ") or address space (ulimit -v); lower MappingBudget limits or use larger windows", cause);
        }

        private void fail(Throwable t) {
            terminated = true;
            cancelBudgetTimer();
            clearAhead();
            budget.withdraw(budgetWaiter);
            file.close(); // the subscription's reference; windows still live keep the file open
            CoreSubscriber<? super MappedWindow> a = actual;
            actual = Operators.emptySubscriber();
            a.onError(t);
        }

        private void terminate() {
            terminated = true;
            cancelBudgetTimer();
            clearAhead();
            budget.withdraw(budgetWaiter);
            file.close(); // the subscription's reference; windows still live keep the file open
            actual = Operators.emptySubscriber();
        }

        private void clearAhead() {
            MappedWindow w;
            while ((w = ahead.poll()) != null) {
                w.close();
            }
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
                return requested;
            }
            if (key == Attr.CANCELLED) {
                return isCancelled();
            }
            if (key == Attr.BUFFERED) {
                return ahead.size();
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.SYNC;
            }
            return null;
        }
    }
}
