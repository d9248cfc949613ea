package io.reactivemmap;

import org.jspecify.annotations.Nullable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * The cancellation-against-emission protocol shared by the library's resource-owning publishers
 * ({@link FluxMappedWindows.WindowSubscription}, {@link FluxMappedRecords.RecordSubscriber}): once {@link #cancel()}
 * has returned, on any thread, no {@code onNext} is running or will start.
 *
 * <p>{@code state} holds two bits, {@code CANCELLED} and {@code EMITTING}, changed only by compare-and-set. The
 * emitting thread {@linkplain #claim() claims} each {@code onNext} (sets {@code EMITTING} only while {@code CANCELLED}
 * is clear) and {@linkplain #endEmission() ends} it when {@code onNext} returns; a failed claim means the element
 * must be released by the publisher, never emitted. {@link #cancel()} sets {@code CANCELLED} and, if another thread
 * is inside {@code onNext}, waits for it to return (spinning briefly, then parking); from inside {@code onNext} on the
 * emitting thread itself it returns at once.
 */
final class EmissionGate {
    private static final VarHandle STATE;
    private static final int CANCELLED = 1;
    private static final int EMITTING = 2;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(EmissionGate.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") private volatile int state;
    /** The thread inside {@code onNext} while {@code EMITTING} is set; written before the bit is set. */
    private volatile @Nullable Thread emitter;

    /**
     * Sets {@code CANCELLED}; if another thread is inside {@code onNext}, waits until it has returned. Keeps an
     * interrupt that arrives during the wait for the caller.
     */
    void cancel() {
        int s;
        do {
            s = (int) STATE.getVolatile(this);
        } while ((s & CANCELLED) == 0 && !STATE.compareAndSet(this, s, s | CANCELLED));
        if ((s & EMITTING) != 0 && emitter != Thread.currentThread()) {
            awaitEmissionEnd();
        }
    }

    boolean isCancelled() {
        return ((int) STATE.getVolatile(this) & CANCELLED) != 0;
    }

    /** Sets {@code EMITTING} unless cancelled; {@code false} if cancelled (the caller must release the element). */
    boolean claim() {
        emitter = Thread.currentThread();
        for (;;) {
            int s = (int) STATE.getVolatile(this);
            if ((s & CANCELLED) != 0) {
                emitter = null;
                return false;
            }
            if (STATE.compareAndSet(this, s, s | EMITTING)) {
                return true;
            }
        }
    }

    /** Clears {@code EMITTING}: the {@code onNext} claimed by {@link #claim()} has returned (or thrown). */
    void endEmission() {
        int s;
        do {
            s = (int) STATE.getVolatile(this);
        } while (!STATE.compareAndSet(this, s, s & ~EMITTING));
        emitter = null;
    }

    private void awaitEmissionEnd() {
        boolean interrupted = false;
        long parkNanos = 1_000;
        for (int spins = 0; ((int) STATE.getVolatile(this) & EMITTING) != 0; spins++) {
            if (spins < 64) {
                Thread.onSpinWait();
            } else if (spins < 128) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, parkNanos);
                parkNanos = Math.min(parkNanos * 2, 1_000_000);
                interrupted |= Thread.interrupted();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
