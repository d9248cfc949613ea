package io.reactivemmap;

import io.reactivemmap.internal.Metrics;

/**
 * A snapshot of the process-wide mapping counters, readable at any time and cheap enough to poll.
 *
 * <p>Tests use it to assert that nothing is left mapped: {@code assertEquals(0, MappingStats.snapshot().liveWindows())}.
 *
 * @param liveWindows windows mapped and not yet unmapped, right now
 * @param mappedBytes bytes of address space those windows map, right now (page-aligned, so slightly more than their lengths)
 * @param peakMappedBytes the highest {@code mappedBytes} seen since start-up (or the last {@link #resetPeak()})
 * @param windowsMapped windows mapped since start-up
 * @param windowsUnmapped windows unmapped since start-up
 * @param bytesMapped bytes mapped since start-up
 * @param budgetWaits times a source waited because its {@link MappingBudget} was spent
 * @param budgetRejections times a source failed because its budget was spent and it was told not to wait
 *                         ({@link MapOptions#failWhenBudgetExhausted()}), or not longer than
 *                         {@link MapOptions#budgetWaitTimeout()}
 * @param adviceFailures {@code madvise}/{@code posix_fadvise} calls the kernel refused (advice is best effort)
 * @param deferredUnmaps unmaps that had to be retried because another thread still had the window's memory in use
 */
public record MappingStats(long liveWindows, long mappedBytes, long peakMappedBytes, long windowsMapped,
                           long windowsUnmapped, long bytesMapped, long budgetWaits, long budgetRejections,
                           long adviceFailures, long deferredUnmaps) {

    /** Reads the counters now. */
    public static MappingStats snapshot() {
        return new MappingStats(Metrics.LIVE_WINDOWS.get(), Metrics.MAPPED_BYTES.get(), Metrics.PEAK_MAPPED_BYTES.get(),
                Metrics.WINDOWS_MAPPED.sum(), Metrics.WINDOWS_UNMAPPED.sum(), Metrics.BYTES_MAPPED_TOTAL.sum(),
                Metrics.BUDGET_WAITS.sum(), Metrics.BUDGET_REJECTIONS.sum(), Metrics.ADVICE_FAILURES.sum(),
                Metrics.DEFERRED_UNMAPS.sum());
    }

    /** Sets {@code peakMappedBytes} to the current {@code mappedBytes}, to measure the peak of one run. */
    public static void resetPeak() {
        Metrics.PEAK_MAPPED_BYTES.set(Metrics.MAPPED_BYTES.get());
    }
}
