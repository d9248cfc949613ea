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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    @Test
    void aNestedBudgetCapsItsSourcesWhileThoseOfTheParentMapOn() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        MappingBudget parent = MappingBudget.of(10, 1L << 30);
        MappingBudget group = MappingBudget.of(2, 1L << 30, parent);
        assertSame(parent, group.parent());
        assertNull(parent.parent());

        RecordingSubscriber holder = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, group)).subscribe(holder);
        holder.request(2);
        assertEquals(2, group.liveWindows());
        assertEquals(2, parent.liveWindows(), "a nested budget's windows count against its parent too");

        RecordingSubscriber sibling = RecordingSubscriber.closing();
        MappedFile.windows(file, Windows.options(PAGE, 0, group)).subscribe(sibling);
        sibling.request(Long.MAX_VALUE);
        assertTrue(sibling.received.isEmpty(), "mapped past the nested budget's 2 windows: " + group);
        assertEquals(1, group.waiting());
        assertEquals(0, parent.waiting(), "a source waiting for its own group takes no place in the parent's queue");

        RecordingSubscriber outsider = RecordingSubscriber.closing();
        MappedFile.windows(file, Windows.options(PAGE, 0, parent)).subscribe(outsider);
        outsider.request(Long.MAX_VALUE);
        assertTrue(outsider.awaitTermination(Duration.ofSeconds(5)) && outsider.completed, "the parent had room for others");
        assertEquals(8, outsider.received.size());

        holder.received.getFirst().close(); // one window of the group back: the sibling streams through it
        assertTrue(sibling.awaitTermination(Duration.ofSeconds(5)), "the waiting sibling was never woken");
        assertTrue(sibling.completed, () -> "sibling failed: " + sibling.error);
        assertEquals(8, sibling.received.size());
        holder.cancel();
        holder.closeAll();
        assertEquals(0, group.liveWindows());
        assertEquals(0, parent.liveWindows());
        assertEquals(0, group.mappedBytes());
        assertEquals(0, parent.mappedBytes());
    }

    @Test
    void nestedSourcesWaitForTheParentHoldingTheirOwnShareAndGiveItBackWhenCancelled() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget parent = MappingBudget.of(1, 1L << 30);
        MappingBudget a = MappingBudget.of(2, 1L << 30, parent);
        MappingBudget b = MappingBudget.of(2, 1L << 30, parent);

        RecordingSubscriber holder = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, a)).subscribe(holder);
        holder.request(1);
        assertEquals(1, parent.liveWindows());

        RecordingSubscriber cancelled = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, b)).subscribe(cancelled);
        cancelled.request(1);
        RecordingSubscriber served = RecordingSubscriber.closing();
        MappedFile.windows(file, Windows.options(PAGE, 0, b)).subscribe(served);
        served.request(Long.MAX_VALUE);
        assertEquals(2, b.liveWindows(), "each waiter holds its share of its own budget while it waits for the parent");
        assertEquals(2, parent.waiting());
        assertEquals(1, parent.liveWindows(), "the parent's limit holds");

        cancelled.cancel();
        assertEquals(1, b.liveWindows(), "a cancelled waiter gives its share back");
        assertEquals(1, parent.waiting());

        holder.received.getFirst().close(); // the parent's one window goes to the waiter at the head of its queue
        assertTrue(served.awaitTermination(Duration.ofSeconds(5)) && served.completed, () -> "served: " + served.error);
        assertEquals(4, served.received.size());
        assertTrue(cancelled.received.isEmpty());
        holder.cancel();
        assertEquals(0, a.liveWindows());
        assertEquals(0, b.liveWindows());
        assertEquals(0, parent.liveWindows());
        assertEquals(0, parent.waiting());
    }

    @Test
    void aDemandedWindowThatWaitsLongerThanTheBudgetWaitTimeoutFailsTheStreamNamingTheWait() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = MappingBudget.of(1, 1L << 30);
        RecordingSubscriber holder = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, budget)).subscribe(holder);
        holder.request(1);

        long rejectionsBefore = MappingStats.snapshot().budgetRejections();
        Duration timeout = Duration.ofMillis(200);
        RecordingSubscriber waiter = RecordingSubscriber.closing();
        long started = System.nanoTime();
        MappedFile.windows(file, Windows.options(PAGE, 0, budget).withBudgetWaitTimeout(timeout)).subscribe(waiter);
        assertDoesNotThrow(() -> waiter.request(Long.MAX_VALUE));
        assertEquals(1, budget.waiting());

        assertTrue(waiter.awaitTermination(Duration.ofSeconds(10)), "the wait was not bounded");
        assertTrue(System.nanoTime() - started >= timeout.toNanos(), "failed before the timeout");
        MappingBudgetExhaustedException e = assertInstanceOf(MappingBudgetExhaustedException.class, waiter.error);
        assertTrue(e.getMessage().contains("budgetWaitTimeout of PT0.2S") && e.getMessage().contains(file.toString())
                && e.getMessage().contains("windows 1/1"), e.getMessage());
        assertTrue(waiter.received.isEmpty());
        assertEquals(0, budget.waiting(), "the failed source left the queue");
        assertEquals(1, budget.liveWindows(), "and holds no budget");
        assertEquals(rejectionsBefore + 1, MappingStats.snapshot().budgetRejections());

        holder.cancel();
        holder.closeAll();
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void aWaitThatIsGrantedInTimeStreamsOnAsWithoutATimeout() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = MappingBudget.of(1, 1L << 30);
        RecordingSubscriber holder = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, budget)).subscribe(holder);
        holder.request(1);
        RecordingSubscriber waiter = RecordingSubscriber.closing();
        MappedFile.windows(file, Windows.options(PAGE, 1, budget).withBudgetWaitTimeout(Duration.ofSeconds(30))).subscribe(waiter);
        waiter.request(Long.MAX_VALUE);
        assertEquals(1, budget.waiting(), "the waiter queued (and armed its timer)");

        holder.received.getFirst().close();
        assertTrue(waiter.awaitTermination(Duration.ofSeconds(10)));
        assertTrue(waiter.completed, () -> "waiter failed: " + waiter.error);
        assertEquals(16, waiter.received.size());
        holder.cancel();
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void theWaitForANestedBudgetsOwnLimitIsNotTimedOnlyTheWaitForTheParent() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget parent = MappingBudget.of(1, 1L << 30);
        MappingBudget group = MappingBudget.of(1, 1L << 30, parent);
        RecordingSubscriber outsider = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 0, parent)).subscribe(outsider);
        outsider.request(1); // the parent is spent for as long as the test runs

        Duration timeout = Duration.ofMillis(300);
        MapOptions timed = Windows.options(PAGE, 0, group).withBudgetWaitTimeout(timeout);
        RecordingSubscriber first = RecordingSubscriber.closing();
        RecordingSubscriber second = RecordingSubscriber.closing();
        long started = System.nanoTime();
        MappedFile.windows(file, timed).subscribe(first);
        first.request(1); // holds the group's one share, queued for the parent's
        MappedFile.windows(file, timed).subscribe(second);
        second.request(1); // queued for the group's share
        assertEquals(1, parent.waiting());
        assertEquals(1, group.waiting());

        assertTrue(first.awaitTermination(Duration.ofSeconds(10)));
        assertInstanceOf(MappingBudgetExhaustedException.class, first.error);
        // Only now does the second get the group's share and queue for the parent's: its timed wait starts here.
        assertTrue(second.awaitTermination(Duration.ofSeconds(10)));
        assertTrue(System.nanoTime() - started >= 2 * timeout.toNanos(),
                "the wait for the group's own share was timed as well");
        assertInstanceOf(MappingBudgetExhaustedException.class, second.error);
        assertEquals(0, group.liveWindows());
        assertEquals(0, group.waiting());
        assertEquals(0, parent.waiting());
        assertEquals(1, parent.liveWindows());
        outsider.cancel();
        outsider.closeAll();
        assertEquals(0, parent.liveWindows());
    }

    @Test
    void aBudgetWaitTimeoutMustBePositive() {
        for (Duration bad : new Duration[] {Duration.ZERO, Duration.ofMillis(-1)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MapOptions.defaults().withBudgetWaitTimeout(bad));
            assertTrue(e.getMessage().contains("budgetWaitTimeout must be positive (got " + bad + ")"), e.getMessage());
        }
        assertNull(MapOptions.defaults().budgetWaitTimeout(), "the default waits as long as it takes");
        assertNull(MapOptions.defaults().withBudgetWaitTimeout(Duration.ofSeconds(1)).withBudgetWaitTimeout(null).budgetWaitTimeout());
        assertThrows(NullPointerException.class, () -> MappingBudget.of(1, 1, null));
    }
}
