package io.reactivemmap;

import java.io.IOException;

/**
 * A source configured with {@link MapOptions#failWhenBudgetExhausted()} found its {@link MappingBudget} spent.
 * Without that option the source waits (as backpressure) until other windows are unmapped.
 */
public final class MappingBudgetExhaustedException extends IOException {
    private static final long serialVersionUID = 1L;

    public MappingBudgetExhaustedException(String message) {
        super(message);
    }
}
