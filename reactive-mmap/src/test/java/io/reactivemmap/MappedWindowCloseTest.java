package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

@ExtendWith(NoLeakedWindows.class)
class MappedWindowCloseTest {
    @TempDir
    Path dir;

    @Test
    void closeAfterTheOnNextReferenceWasReleasedIsANoOp() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8192);
        AtomicReference<MappedWindow> held = new AtomicReference<>();
        MappedFile.windows(file, MapOptions.defaults().withWindowSize(8192).withReadAhead(0))
                .doOnNext(held::set)
                .blockLast();
        MappedWindow w = held.get();
        assertEquals(1, w.refCnt());
        w.release(); // the holder gave the onNext reference back with release() instead of close()
        assertFalse(w.isOpen());
        assertDoesNotThrow(w::close, "close() must stay a safe no-op");
        assertThrows(IllegalStateException.class, w::release, "an unmatched release is still an error");
    }

    @Test
    void budgetWaitsAreCountedOncePerWaitNotPerDrain() throws Exception {
        Path file = TestFiles.pattern(dir, "g.bin", 4 * 4096);
        MappingBudget budget = MappingBudget.of(1, 1L << 30);
        MapOptions options = MapOptions.defaults().withWindowSize(4096).withReadAhead(0).withBudget(budget);
        AtomicReference<MappedWindow> first = new AtomicReference<>();
        // The first stream holds the budget's only window.
        reactor.core.Disposable a = MappedFile.windows(file, options).take(1).subscribe(first::set);
        long before = MappingStats.snapshot().budgetWaits();
        reactor.test.StepVerifier.create(MappedFile.read(file, options, MappedWindow::length), 0)
                .thenRequest(1)
                .thenRequest(1)
                .thenRequest(1)
                .expectNoEvent(java.time.Duration.ofMillis(50))
                .then(() -> assertEquals(1, MappingStats.snapshot().budgetWaits() - before,
                        "three requests while the budget is spent are one wait"))
                .then(() -> first.get().close())
                .expectNext(4096, 4096, 4096)
                .thenRequest(1)
                .expectNext(4096)
                .verifyComplete();
        a.dispose();
    }
}
