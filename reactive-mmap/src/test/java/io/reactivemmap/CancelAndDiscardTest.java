package io.reactivemmap;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.subscriber.TestSubscriber;
import reactor.test.util.RaceTestUtils;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cancel at any point, and every operator that drops windows, leave nothing mapped. */
@ExtendWith(NoLeakedWindows.class)
class CancelAndDiscardTest {
    @TempDir
    Path dir;

    @Test
    void cancelBeforeTheFirstRequestMapsNothingAndLaterRequestsAreIgnored() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 1, budget)).subscribe(s);

        s.cancel();
        s.request(10);

        assertTrue(s.received.isEmpty(), "windows emitted after cancel: " + s.received);
        assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped());
        assertEquals(1, s.terminated.getCount(), "a cancelled subscription is not terminated by a signal");
    }

    @ParameterizedTest(name = "readAhead={0}")
    @ValueSource(ints = {0, 1, 4})
    void cancelMidStreamClosesTheWindowsReadAheadButNotTheOnesTheSubscriberHolds(int readAhead) throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        List<MappedWindow> held = new ArrayList<>();
        StepVerifier.create(MappedFile.windows(file, Windows.options(PAGE, readAhead, budget)), 0)
                .thenRequest(3)
                .consumeNextWith(held::add)
                .consumeNextWith(held::add)
                .consumeNextWith(held::add)
                .then(() -> assertEquals(3 + readAhead, budget.liveWindows(), "3 held + read-ahead"))
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        assertEquals(3, budget.liveWindows(), "cancel must close exactly the read-ahead, not the windows the subscriber holds");
        assertTrue(held.stream().allMatch(MappedWindow::isOpen));
        held.forEach(MappedWindow::close);
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void cancelWithPopulateAheadClosesTheReadAheadOnceTheBackgroundPopulateIsDone() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 64L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        MapOptions options = Windows.options(8 * PAGE, 3, budget).withPopulateAhead(true);
        for (int i = 0; i < 20; i++) {
            StepVerifier.create(MappedFile.windows(file, options), 0)
                    .thenRequest(1)
                    .assertNext(MappedWindow::close)
                    .thenCancel()
                    .verify(Duration.ofSeconds(5));
        }
        // Background populate holds its own reference: the unmap happens when it finishes.
        Windows.await(Duration.ofSeconds(5), () -> budget.liveWindows() == 0,
                "windows read ahead with populateAhead still mapped after cancel: " + budget);
    }

    @Test
    void cancelFromInsideOnNextStopsTheStreamAndClosesTheReadAhead() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        AtomicInteger seen = new AtomicInteger();
        RecordingSubscriber[] self = new RecordingSubscriber[1];
        self[0] = new RecordingSubscriber(w -> {
            w.close();
            if (seen.incrementAndGet() == 3) {
                self[0].cancel();
            }
        });
        MappedFile.windows(file, Windows.options(PAGE, 2, budget)).subscribe(self[0]);
        self[0].request(Long.MAX_VALUE);

        assertEquals(3, self[0].received.size(), "nothing may be emitted after cancel from the same thread");
        assertEquals(0, budget.liveWindows());
    }

    /**
     * Cancel racing with unbounded demand on another thread. Whatever reaches the subscriber belongs to it, including
     * windows that arrive after its cancel (the Reactive Streams race every source has); everything else the source
     * mapped it must close itself. The test closes what it received and expects nothing else to stay mapped.
     */
    @RepeatedTest(50)
    void cancelRacingWithRequestLeavesOnlyTheReceivedWindowsForTheSubscriberToClose() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 32L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        TestSubscriber<MappedWindow> ts = TestSubscriber.builder().initialRequest(0).build();
        MappedFile.windows(file, Windows.options(PAGE, 2, budget).withMaxLiveBytes(12L * PAGE)).subscribe(ts);

        RaceTestUtils.race(() -> ts.request(Long.MAX_VALUE), ts::cancel);

        List<MappedWindow> received = ts.getReceivedOnNext();
        List<MappedWindow> late = ts.getReceivedOnNextAfterCancellation();
        assertTrue(received.containsAll(late));
        received.forEach(MappedWindow::close);
        late.forEach(w -> assertFalse(w.isOpen(), "a late arrival stayed mapped after the subscriber closed it"));
        assertEquals(0, budget.liveWindows(), "the source left windows it did not emit mapped: " + budget);
        assertTrue(ts.getProtocolErrors().isEmpty(), () -> "protocol errors: " + ts.getProtocolErrors());
    }

    @Test
    void aLateCloseByTheSubscriberAfterCancelDoesNotRestartTheSource() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        RecordingSubscriber s = new RecordingSubscriber();
        MappedFile.windows(file, Windows.options(PAGE, 1, budget).withMaxLiveBytes(3L * PAGE)).subscribe(s);
        s.request(Long.MAX_VALUE);
        assertEquals(3, s.received.size());
        s.cancel();
        s.closeAll(); // each close drains the (terminated) source: it must not map again
        assertEquals(3, s.received.size());
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void filterAndTakeHandTheirDropsToTheDiscardHookWhichClosesThem() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 32L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        StepVerifier.create(MappedFile.windows(file, Windows.options(PAGE, 2, budget))
                        .filter(w -> (w.offset() / PAGE) % 2 == 0)
                        .take(3)
                        .doOnNext(MappedWindow::close)
                        .doOnDiscard(MappedWindow.class, MappedWindow::close))
                .expectNextCount(3)
                .expectComplete()
                .verifyThenAssertThat()
                // windows 1 and 3 were rejected by the filter (window 5 is never requested by take)
                .hasDiscardedElementsMatching(d -> d.size() == 2 && d.stream().allMatch(o -> !((MappedWindow) o).isOpen()));
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void aPrefetchingOperatorCancelledByTakeDiscardsItsQueueToTheHook() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 64L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        AtomicInteger discarded = new AtomicInteger();
        Scheduler scheduler = Schedulers.newSingle("discard-test");
        try {
            StepVerifier.create(MappedFile.windows(file, Windows.options(PAGE, 1, budget).withMaxLiveBytes(32L * PAGE))
                            .publishOn(scheduler, 32)
                            .take(2)
                            .doOnNext(MappedWindow::close)
                            .doOnDiscard(MappedWindow.class, w -> {
                                discarded.incrementAndGet();
                                w.close();
                            }))
                    .expectNextCount(2)
                    .verifyComplete();
            // publishOn clears its queue in its own drain loop, which may run after onComplete reached us.
            Windows.await(Duration.ofSeconds(5), () -> budget.liveWindows() == 0, "left mapped: " + budget);
            // The source filled publishOn's queue (32 prefetched, bounded by maxLiveBytes) before take cancelled.
            assertTrue(discarded.get() > 0, "nothing was discarded, so this test proved nothing");
        } finally {
            scheduler.dispose();
        }
    }
}
