package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one reference count shared by windows, records and files: one close-after-release rule, retain after zero
 * fails, release below zero fails, and exactly one deallocation however the threads interleave.
 */
@ExtendWith(NoLeakedWindows.class)
class RefCountedTest {
    private static final int THREADS = 4;

    @TempDir
    Path dir;

    /** A bare count whose deallocations are counted, to test the loop apart from mapping. */
    static final class Counted extends RefCounted {
        final AtomicInteger deallocations = new AtomicInteger();

        @Override
        void deallocate() {
            deallocations.incrementAndGet();
        }

        @Override
        public String toString() {
            return "Counted[refCnt=" + count() + "]";
        }
    }

    @Test
    void closeAfterReleaseIsANoOpForAWindow() throws Exception {
        Path file = TestFiles.pattern(dir, "w.bin", 8192);
        AtomicReference<MappedWindow> held = new AtomicReference<>();
        MappedFile.windows(file, MapOptions.defaults().withWindowSize(8192).withReadAhead(0).withPopulateAhead(false))
                .doOnNext(held::set)
                .blockLast();
        MappedWindow w = held.get();
        assertTrue(w.release(), "the onNext reference was the last");
        assertFalse(w.isOpen());
        assertDoesNotThrow(w::close);
        assertDoesNotThrow(w::close);
        assertThrows(IllegalStateException.class, w::release, "a release without a reference is still an error");
        assertThrows(IllegalStateException.class, w::retain, "a window at zero cannot be revived");
        assertEquals(0, w.refCnt());
    }

    @Test
    void closeAfterReleaseIsANoOpForARecord() throws Exception {
        Path file = dir.resolve("lines.txt");
        Files.writeString(file, "one\ntwo\n", StandardCharsets.US_ASCII);
        List<MappedRecord> records = new ArrayList<>();
        MappedRecords.lines(file).doOnNext(records::add).blockLast();
        assertEquals(2, records.size());
        for (MappedRecord r : records) {
            assertTrue(r.release(), "the onNext reference was the last");
            assertFalse(r.isOpen());
            assertDoesNotThrow(r::close, "close() after release() is a no-op, as for a window");
            assertDoesNotThrow(r::close);
            assertThrows(IllegalStateException.class, r::release);
            assertThrows(IllegalStateException.class, r::retain);
            assertThrows(IllegalStateException.class, r::segment, "a released record hands out no view");
        }
        // NoLeakedWindows checks that the records' window was unmapped by the releases alone.
    }

    @Test
    void closeAfterReleaseIsANoOpForAFile() throws Exception {
        Path path = TestFiles.pattern(dir, "f.bin", 4096);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            SharedFile file = new SharedFile(path, channel, channel.size());
            file.release();
            assertFalse(channel.isOpen(), "the last reference closes the file it opened");
            assertDoesNotThrow(file::close);
            assertThrows(IllegalStateException.class, file::release);
            assertThrows(IllegalStateException.class, file::retain);
        }
    }

    @Test
    void aBorrowedChannelIsNeverClosedByTheLastRelease() throws Exception {
        Path path = TestFiles.pattern(dir, "b.bin", 4096);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            SharedFile file = SharedFile.borrow(path, channel);
            file.retain();
            file.close();
            file.close();
            assertEquals(1, file.count(), "close() gave back the first reference once");
            file.release();
            assertEquals(0, file.count());
            assertTrue(channel.isOpen(), "a borrowed channel belongs to the caller");
        }
    }

    @Test
    void closeGivesBackOnlyTheFirstReference() {
        Counted c = new Counted();
        c.retainRef();
        c.closeRef();
        c.closeRef();
        assertEquals(1, c.count(), "the second close() must not take the retained reference");
        assertEquals(0, c.deallocations.get());
        assertTrue(c.releaseRef());
        assertEquals(1, c.deallocations.get());
        c.closeRef();
        assertEquals(1, c.deallocations.get());
    }

    @Test
    void releaseBelowZeroSaysWhatWentWrong() {
        Counted c = new Counted();
        c.releaseRef();
        IllegalStateException e = assertThrows(IllegalStateException.class, c::releaseRef);
        assertTrue(e.getMessage().contains("refCnt is 0") && e.getMessage().contains("more releases than references"),
                e.getMessage());
        IllegalStateException r = assertThrows(IllegalStateException.class, c::retainRef);
        assertTrue(r.getMessage().contains("refCnt is 0"), r.getMessage());
        assertFalse(c.tryRetainRef());
        assertEquals(0, c.count(), "a failed release leaves the count at zero, not below");
        assertEquals(1, c.deallocations.get());
    }

    @Test
    @Timeout(60)
    void concurrentRetainsReleasesAndClosesDeallocateExactlyOnce() throws Exception {
        for (int round = 0; round < 2_000; round++) {
            Counted c = new Counted();
            // Each thread holds one reference of its own and churns retain/release on it; one thread also closes
            // (the first reference), and the others close too, which must give that first reference back only once.
            for (int i = 0; i < THREADS; i++) {
                c.retainRef();
            }
            CyclicBarrier start = new CyclicBarrier(THREADS);
            List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        for (int k = 0; k < 50; k++) {
                            c.retainRef();
                            c.releaseRef();
                        }
                        c.closeRef();
                        c.releaseRef(); // this thread's own reference
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(List.of(), errors);
            assertEquals(0, c.count(), "round " + round);
            assertEquals(1, c.deallocations.get(), "round " + round + ": exactly one deallocate");
        }
    }

    @Test
    @Timeout(60)
    void aRetainRacingTheLastReleaseNeverRevivesTheCount() throws Exception {
        for (int round = 0; round < 2_000; round++) {
            Counted c = new Counted();
            AtomicReference<String> revived = new AtomicReference<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < THREADS - 1; i++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int k = 0; k < 100; k++) {
                        if (c.tryRetainRef()) {
                            if (c.deallocations.get() != 0) {
                                revived.set("a retain succeeded after deallocate");
                            }
                            c.releaseRef();
                        } else {
                            assertThrows(IllegalStateException.class, c::retainRef);
                        }
                    }
                });
                threads.add(t);
                t.start();
            }
            go.countDown();
            c.closeRef();
            for (Thread t : threads) {
                t.join();
            }
            assertNull(revived.get(), "round " + round);
            assertEquals(0, c.count());
            assertEquals(1, c.deallocations.get(), "round " + round + ": exactly one deallocate");
        }
    }

    @Test
    @Timeout(60)
    void windowsRetainedAndReleasedFromSeveralThreadsAreUnmappedOnceAndAccountedToZero() throws Exception {
        Path file = TestFiles.pattern(dir, "many.bin", 64 * Windows.PAGE);
        MappingBudget budget = Windows.privateBudget();
        MapOptions options = Windows.options(4 * Windows.PAGE, 2, budget);
        List<MappedWindow> windows = MappedFile.windows(file, options).collectList().block();
        assertEquals(16, windows.size());
        assertEquals(16, MappingStats.snapshot().liveWindows(), "every window is held by the list");

        // Each thread gets a reference of its own to every window before it starts, as a holder must.
        for (MappedWindow w : windows) {
            for (int i = 0; i < THREADS; i++) {
                w.retain();
            }
        }
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    for (int k = 0; k < 200; k++) {
                        for (MappedWindow w : windows) {
                            w.retain();
                            Windows.assertPatternBytes(w);
                            w.release();
                        }
                    }
                    // Every thread closes every window (only the first close of each gives back the onNext
                    // reference) and gives back its own reference: the last of all these unmaps.
                    for (MappedWindow w : windows) {
                        w.close();
                        w.release();
                    }
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        assertEquals(List.of(), errors);
        for (MappedWindow w : windows) {
            assertFalse(w.isOpen(), w::toString);
            assertDoesNotThrow(w::close);
        }
        NoLeakedWindows.assertNothingMapped();
        assertEquals(0, budget.liveWindows(), () -> "the budget got every window's share back: " + budget);
        assertEquals(0, budget.mappedBytes(), () -> "the budget got every window's bytes back: " + budget);
    }
}
