package io.reactivemmap;

import java.io.IOException;

/**
 * A source found its {@link MappingBudget} spent and was told not to wait ({@link MapOptions#failWhenBudgetExhausted()}),
 * or not to wait longer than {@link MapOptions#budgetWaitTimeout()}. Without either option the source waits (as
 * backpressure) until other windows are unmapped.
 */
public final class MappingBudgetExhaustedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** An exception with {@code message}, which should name the budget and what to change. */
    public MappingBudgetExhaustedException(String message) {
        super(message);
    }
}
