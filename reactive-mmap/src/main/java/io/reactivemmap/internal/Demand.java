package io.reactivemmap.internal;

import java.lang.invoke.VarHandle;

/** Outstanding demand kept in a {@code long} field reached through a {@link VarHandle}, as the sources keep it. */
public final class Demand {
    private Demand() {
    }

    /** Adds {@code n > 0} to the field, capped at {@link Long#MAX_VALUE} (which means "unbounded" and stays so). */
    public static void add(VarHandle requested, Object owner, long n) {
        for (;;) {
            long r = (long) requested.getVolatile(owner);
            long u = r + n < 0 ? Long.MAX_VALUE : r + n;
            if (r == Long.MAX_VALUE || requested.compareAndSet(owner, r, u)) {
                return;
            }
        }
    }
}
