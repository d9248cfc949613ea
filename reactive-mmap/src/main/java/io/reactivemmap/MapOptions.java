package io.reactivemmap;

import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.Objects;

/**
 * How a file is cut into windows, how far ahead of demand windows are mapped, what the kernel is told about them,
 * and which budget they count against. Immutable; start from {@link #defaults()} and change with the
 * {@code with...} methods (from Kotlin the components read as properties: {@code options.windowSize}).
 *
 * <p>The defaults and the measurements behind them are in {@code docs/backpressure-and-window-size.md}.
 *
 * @param windowSize bytes per window (the last window of a range may be shorter); 1 to {@link #MAX_WINDOW_SIZE}.
 *                   Default 16 MiB: map+fault+unmap costs about as little per GiB as it gets there, and it keeps
 *                   a subscriber's working set small
 * @param readAhead windows a source may map beyond outstanding demand, so the next window is mapped (and, with
 *                  {@code populateAhead}, faulted in on another core) while the current one is read. 0 maps only
 *                  what is requested. Default 1
 * @param maxLiveBytes a bound in bytes on what one subscription keeps mapped: windows read ahead plus windows
 *                     emitted and not yet closed. When reached, the source emits nothing more until windows are
 *                     closed, whatever the downstream requested; one window is always allowed, so a stream makes
 *                     progress. A consumer that holds more windows than this before closing any (for example
 *                     {@code collectList()}) stalls: raise the bound for it. Default 64 MiB (4 default windows)
 * @param sequential tell the kernel each window is read sequentially ({@code MADV_SEQUENTIAL}, plus
 *                   {@code MADV_WILLNEED} on windows read ahead), so a cold file is read ahead in large steps.
 *                   Default on. On a hot file without populate-ahead it costs about 10% (the faults get dearer);
 *                   with populate-ahead the difference is within noise
 * @param populateAhead fault windows read ahead in on a background thread ({@code MADV_POPULATE_READ}, Linux 5.14+)
 *                      so the reader does not take the page faults. Default on: on a hot 4 GiB file it took our
 *                      stream from 0.85-0.92x to 1.14-1.38x a hand-written mapped-window loop (docs/benchmarks.md).
 *                      A window the subscriber closes while it is being faulted in is unmapped when the current
 *                      1 MiB step ends. Turn it off where no core is spare for the prefetch threads
 * @param dropBehind drop each window's pages from the page cache when it is unmapped
 *                   ({@code posix_fadvise(POSIX_FADV_DONTNEED)}): page-cache hygiene for one-pass streams that
 *                   would otherwise push hotter data out of memory. Default off
 * @param budget the {@link MappingBudget} windows count against. Default {@link MappingBudget#global()}
 * @param failWhenBudgetExhausted fail with {@link MappingBudgetExhaustedException} instead of waiting when the
 *                                budget is spent. Default off (wait)
 * @param budgetWaitTimeout how long a demanded window may wait for budget before the source fails with
 *                          {@link MappingBudgetExhaustedException} (nothing of that window is mapped, and everything the
 *                          source mapped before is unmapped as on any error), or {@code null} to wait as long as it
 *                          takes. What is timed is the wait in the queue of the outermost budget (the
 *                          {@linkplain MappingBudget#global() global} one, or one made with
 *                          {@link MappingBudget#of(long, long)}): a source of a {@linkplain MappingBudget#parent() nested}
 *                          budget waiting for that budget's own limits only waits for its siblings, and is timed from
 *                          the moment it holds that share and queues for the parent's. Positive when set. Default
 *                          {@code null} (wait)
 */
public record MapOptions(int windowSize, int readAhead, long maxLiveBytes, boolean sequential, boolean populateAhead,
                         boolean dropBehind, MappingBudget budget, boolean failWhenBudgetExhausted,
                         @Nullable Duration budgetWaitTimeout) {

    /** The largest window: a window's {@link java.nio.ByteBuffer} view must fit in an {@code int}. */
    public static final int MAX_WINDOW_SIZE = Integer.MAX_VALUE - 4096;

    /** The default window size, 16 MiB. */
    public static final int DEFAULT_WINDOW_SIZE = 16 << 20;

    private static final MapOptions DEFAULTS = new MapOptions(DEFAULT_WINDOW_SIZE, 1, 64L << 20, true, true, false,
            MappingBudget.global(), false, null);

    /** Checks every option; an out-of-range value is an {@link IllegalArgumentException} naming it and its range. */
    public MapOptions {
        if (windowSize < 1 || windowSize > MAX_WINDOW_SIZE) {
            throw new IllegalArgumentException("windowSize must be between 1 and " + MAX_WINDOW_SIZE + " bytes (got "
                    + windowSize + ")");
        }
        if (readAhead < 0 || readAhead > 1024) {
            throw new IllegalArgumentException("readAhead must be between 0 and 1024 windows (got " + readAhead + ")");
        }
        if (maxLiveBytes < 1) {
            throw new IllegalArgumentException("maxLiveBytes must be at least 1 (got " + maxLiveBytes
                    + "); one window is always allowed, so a small bound means one window at a time");
        }
        Objects.requireNonNull(budget, "budget");
        if (budgetWaitTimeout != null && (budgetWaitTimeout.isNegative() || budgetWaitTimeout.isZero())) {
            throw new IllegalArgumentException("budgetWaitTimeout must be positive (got " + budgetWaitTimeout
                    + "); use null to wait as long as it takes, or withFailWhenBudgetExhausted(true) not to wait at all");
        }
    }

    /** All options but {@link #budgetWaitTimeout()}, which is {@code null} (wait as long as it takes). */
    public MapOptions(int windowSize, int readAhead, long maxLiveBytes, boolean sequential, boolean populateAhead,
                      boolean dropBehind, MappingBudget budget, boolean failWhenBudgetExhausted) {
        this(windowSize, readAhead, maxLiveBytes, sequential, populateAhead, dropBehind, budget, failWhenBudgetExhausted,
                null);
    }

    /**
     * 16 MiB windows, one read ahead and faulted in on a background thread, at most 64 MiB live per subscription,
     * sequential advice, the global budget, waited for as long as it takes.
     */
    public static MapOptions defaults() {
        return DEFAULTS;
    }

    /**
     * These options with {@link #windowSize()} set to {@code bytes}.
     *
     * @param bytes bytes per window, 1 to {@link #MAX_WINDOW_SIZE}; a {@code long} so that an oversized value
     *              gets a clear error instead of silently overflowing
     */
    public MapOptions withWindowSize(long bytes) {
        if (bytes < 1 || bytes > MAX_WINDOW_SIZE) {
            throw new IllegalArgumentException("windowSize must be between 1 and " + MAX_WINDOW_SIZE
                    + " bytes: a window's ByteBuffer view is int-indexed (got " + bytes + ")");
        }
        return new MapOptions((int) bytes, readAhead, maxLiveBytes, sequential, populateAhead, dropBehind, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@link #readAhead()} set to {@code windows} (0 to 1024). */
    public MapOptions withReadAhead(int windows) {
        return new MapOptions(windowSize, windows, maxLiveBytes, sequential, populateAhead, dropBehind, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@link #maxLiveBytes()} set to {@code bytes} (at least 1). */
    public MapOptions withMaxLiveBytes(long bytes) {
        return new MapOptions(windowSize, readAhead, bytes, sequential, populateAhead, dropBehind, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@link #sequential()} advice on or off. */
    public MapOptions withSequential(boolean on) {
        return new MapOptions(windowSize, readAhead, maxLiveBytes, on, populateAhead, dropBehind, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@link #populateAhead()} on or off. */
    public MapOptions withPopulateAhead(boolean on) {
        return new MapOptions(windowSize, readAhead, maxLiveBytes, sequential, on, dropBehind, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@link #dropBehind()} on or off. */
    public MapOptions withDropBehind(boolean on) {
        return new MapOptions(windowSize, readAhead, maxLiveBytes, sequential, populateAhead, on, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@code budget} as the {@link #budget()} windows are counted against. */
    public MapOptions withBudget(MappingBudget budget) {
        return new MapOptions(windowSize, readAhead, maxLiveBytes, sequential, populateAhead, dropBehind, budget,
                failWhenBudgetExhausted, budgetWaitTimeout);
    }

    /** These options with {@link #failWhenBudgetExhausted()} on or off. */
    public MapOptions withFailWhenBudgetExhausted(boolean on) {
        return new MapOptions(windowSize, readAhead, maxLiveBytes, sequential, populateAhead, dropBehind, budget, on,
                budgetWaitTimeout);
    }

    /**
     * These options with {@link #budgetWaitTimeout()} set to {@code timeout}.
     *
     * @param timeout how long a demanded window may wait for budget (positive), or {@code null} to wait as long as it
     *                takes; see {@link #budgetWaitTimeout()}
     */
    public MapOptions withBudgetWaitTimeout(@Nullable Duration timeout) {
        return new MapOptions(windowSize, readAhead, maxLiveBytes, sequential, populateAhead, dropBehind, budget,
                failWhenBudgetExhausted, timeout);
    }
}
