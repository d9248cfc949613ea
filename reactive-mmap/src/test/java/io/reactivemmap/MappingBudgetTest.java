package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A budget shared by sources bounds them all: they wait for it (or fail fast when told to), and leak nothing. */
@ExtendWith(NoLeakedWindows.class)
class MappingBudgetTest {
    @TempDir
    Path dir;

    @Test
    void aSourceWaitsForBudgetAndResumesWhenAnotherSubscriptionClosesItsWindows() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        MappingBudget budget = MappingBudget.of(2, 1L << 30);
        MapOptions options = Windows.options(PAGE, 0, budget);

        RecordingSubscriber holder = new RecordingSubscriber();
        MappedFile.windows(file, options).subscribe(holder);
        holder.request(2);
        assertEquals(2, budget.liveWindows(), "the first subscription spent the budget");

        long waitsBefore = MappingStats.snapshot().budgetWaits();
        RecordingSubscriber waiter = RecordingSubscriber.closing();
        MappedFile.windows(file, options).subscribe(waiter);
        waiter.request(Long.MAX_VALUE);
        assertTrue(waiter.received.isEmpty(), "mapped past a spent budget");
        assertTrue(MappingStats.snapshot().budgetWaits() > waitsBefore, "budgetWaits did not count the wait");
        assertEquals(1, waiter.terminated.getCount(), "a waiting source must neither fail nor complete");

        holder.received.getFirst().close(); // frees one window of budget: the waiter streams through it
        assertTrue(waiter.awaitTermination(Duration.ofSeconds(5)), "the waiting source was never woken");
        assertTrue(waiter.completed, () -> "waiter failed: " + waiter.error);
        assertEquals(8, waiter.received.size());
        assertTrue(budget.liveWindows() <= 2);

        holder.cancel();
        holder.closeAll();
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void twoSubscriptionsSharingATinyBudgetBothCompleteAndNeverExceedIt() throws Exception {
        int windows = 200;
        Path file = TestFiles.pattern(dir, "f.bin", (long) windows * PAGE);
        // One window for two sources: each demanded window of one waits while the other holds its window (a budget of
        // 2 would let each hold one and never wait, since windows read ahead are skipped, not waited for).
        MappingBudget budget = MappingBudget.of(1, 1L << 30);
        MapOptions options = Windows.options(PAGE, 1, budget);
        AtomicLong maxLive = new AtomicLong();
        long waitsBefore = MappingStats.snapshot().budgetWaits();

        Flux<Long> one = MappedFile.read(file, options, w -> {
            maxLive.accumulateAndGet(budget.liveWindows(), Math::max);
            Windows.assertPatternBytes(w);
            if (w.offset() < 20L * PAGE) {
                // Hold the first windows a moment: the other source's demanded windows must then queue for the budget
                // (windows read ahead never queue; they are skipped while the budget is spent).
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            return (long) w.length();
        }).subscribeOn(Schedulers.boundedElastic());
        List<Long> totals = Flux.merge(one.reduce(0L, Long::sum), one.reduce(0L, Long::sum))
                .collectList()
                .block(Duration.ofSeconds(30));

        assertEquals(List.of((long) windows * PAGE, (long) windows * PAGE), totals);
        assertTrue(maxLive.get() <= 1, "budget of 1 window exceeded: " + maxLive.get());
        assertTrue(MappingStats.snapshot().budgetWaits() > waitsBefore, "two sources with read-ahead on a budget of 1 never waited");
        assertEquals(0, budget.liveWindows());
        assertEquals(0, budget.mappedBytes());
    }

    @Test
    void aByteBudgetAdmitsOneOversizedWindowWhenNothingElseIsMapped() {
        Path file = assertDoesNotThrow(() -> TestFiles.pattern(dir, "f.bin", 4L * PAGE));
        MappingBudget budget = MappingBudget.of(100, PAGE / 2);
        List<Long> offsets = MappedFile.read(file, Windows.options(2 * PAGE, 1, budget), MappedWindow::offset)
                .collectList()
                .block(Duration.ofSeconds(10));
        assertEquals(List.of(0L, 2L * PAGE), offsets);
    }

    @Test
    void failWhenBudgetExhaustedSignalsMappingBudgetExhaustedExceptionNamingTheBudgetAndFile() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        MappingBudget budget = MappingBudget.of(1, 1L << 30);
        RecordingSubscriber holder = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, budget)).subscribe(holder);
        holder.request(1);
        assertEquals(1, budget.liveWindows());

        long rejectionsBefore = MappingStats.snapshot().budgetRejections();
        RecordingSubscriber failing = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, budget).withFailWhenBudgetExhausted(true)).subscribe(failing);
        assertDoesNotThrow(() -> failing.request(1));

        MappingBudgetExhaustedException e = assertInstanceOf(MappingBudgetExhaustedException.class, failing.error);
        assertTrue(e.getMessage().contains(budget.toString().substring(0, "MappingBudget[".length()))
                && e.getMessage().contains("1/1") && e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(failing.received.isEmpty());
        assertEquals(rejectionsBefore + 1, MappingStats.snapshot().budgetRejections());
        assertEquals(1, budget.liveWindows(), "the failed source must not hold budget");

        holder.cancel();
        holder.closeAll();
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void aBudgetRefusalWhileReadingAheadInFailFastModeSkipsTheReadAheadInsteadOfFailing() throws Exception {
        // One window of budget, read-ahead 1: every demanded window fits, no read-ahead ever does. Waiting mode
        // streams this file; fail-fast mode must too (it fails only a demanded window), and leak nothing.
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = MappingBudget.of(1, 1L << 30);
        long rejectionsBefore = MappingStats.snapshot().budgetRejections();
        for (boolean failFast : new boolean[] {false, true}) {
            List<Long> offsets = MappedFile.read(file, Windows.options(PAGE, 1, budget).withFailWhenBudgetExhausted(failFast),
                            MappedWindow::offset)
                    .collectList()
                    .block(Duration.ofSeconds(10));
            assertEquals(List.of(0L, (long) PAGE, 2L * PAGE, 3L * PAGE), offsets, "failWhenBudgetExhausted=" + failFast);
            assertEquals(0, budget.liveWindows(), "left mapped: " + budget);
        }
        assertEquals(rejectionsBefore, MappingStats.snapshot().budgetRejections());
    }
}
