package io.reactivemmap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one reference count behind {@link MappedWindow}, {@link MappedRecord} and {@link SharedFile}, in the manner of
 * Netty's {@code AbstractReferenceCounted}: one compare-and-set loop, one {@link #deallocate()} hook, one rule for
 * {@code close()}.
 *
 * <ul>
 *   <li>The count starts at 1: the reference its creator hands over (by {@code onNext}, or to the subscription that
 *   opened a file).</li>
 *   <li>{@link #retainRef()} adds one, and fails once the count has reached zero: nothing comes back to life.</li>
 *   <li>{@link #releaseRef()} removes one; the call that takes the count from 1 to 0, and only that one, runs
 *   {@link #deallocate()}. A release at zero fails: it is a release without a matching reference.</li>
 *   <li>{@link #closeRef()} gives back the <em>first</em> reference, once, however often and from however many threads
 *   it is called. If the count is already zero (every reference was given back through release), it does nothing:
 *   {@code close()} after the last release is a no-op, never an error, as users of {@link AutoCloseable} (and
 *   {@code try}-with-resources around code that released) expect.</li>
 * </ul>
 *
 * <p>The subclasses keep their public {@code retain}/{@code release}/{@code close}/{@code refCnt} methods, with their
 * own javadoc and return types, and delegate here; this class is package-private so the public API does not grow.
 */
abstract class RefCounted {
    private static final VarHandle REF_CNT;
    private static final VarHandle CLOSED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            REF_CNT = lookup.findVarHandle(RefCounted.class, "refCnt", int.class);
            CLOSED = lookup.findVarHandle(RefCounted.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // via REF_CNT
    private volatile int refCnt = 1;
    @SuppressWarnings("unused") // via CLOSED
    private volatile boolean closed;

    /**
     * Called exactly once, by the thread whose release took the count to zero. It runs outside any lock and may
     * throw; the count stays zero either way.
     */
    abstract void deallocate();

    /** What a count of zero means for this type, for messages: "already unmapped", "already released"... */
    String whenZero() {
        return "already given back";
    }

    /** The current count; 0 once deallocated. */
    final int count() {
        return (int) REF_CNT.getVolatile(this);
    }

    /**
     * Adds a reference.
     *
     * @throws IllegalStateException if the count is zero (already deallocated) or would overflow
     */
    final void retainRef() {
        for (;;) {
            int c = (int) REF_CNT.getVolatile(this);
            if (c <= 0) {
                throw new IllegalStateException("cannot retain " + this + ": " + whenZero() + " (refCnt is 0; retain "
                        + "only while you hold a reference)");
            }
            if (c == Integer.MAX_VALUE) {
                throw new IllegalStateException("cannot retain " + this + ": refCnt " + c + " would overflow "
                        + "(expected: fewer than " + Integer.MAX_VALUE + " holders; a retain without a release?)");
            }
            if (REF_CNT.weakCompareAndSet(this, c, c + 1)) {
                return;
            }
        }
    }

    /** Adds a reference if the count is above zero; {@code false} (and nothing added) if it is not. */
    final boolean tryRetainRef() {
        for (;;) {
            int c = (int) REF_CNT.getVolatile(this);
            if (c <= 0 || c == Integer.MAX_VALUE) {
                return false;
            }
            if (REF_CNT.weakCompareAndSet(this, c, c + 1)) {
                return true;
            }
        }
    }

    /**
     * Removes a reference, and deallocates when it was the last.
     *
     * @return {@code true} if this call deallocated
     * @throws IllegalStateException if the count is already zero (more releases than references)
     */
    final boolean releaseRef() {
        for (;;) {
            int c = (int) REF_CNT.getVolatile(this);
            if (c <= 0) {
                throw new IllegalStateException("cannot release " + this + ": " + whenZero() + " (refCnt is 0, "
                        + "decrement 1: more releases than references; pair each retain() with one release(), and give "
                        + "the first reference back with close() or release(), not both)");
            }
            if (REF_CNT.weakCompareAndSet(this, c, c - 1)) {
                if (c == 1) {
                    deallocate();
                    return true;
                }
                return false;
            }
        }
    }

    /**
     * Gives back the first reference, once: only the first call releases; later calls, and any call once the count is
     * zero, do nothing.
     */
    final void closeRef() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            return;
        }
        for (;;) {
            int c = (int) REF_CNT.getVolatile(this);
            if (c <= 0) {
                return; // every reference was already given back through release(): close() stays a safe no-op
            }
            if (REF_CNT.weakCompareAndSet(this, c, c - 1)) {
                if (c == 1) {
                    deallocate();
                }
                return;
            }
        }
    }
}
