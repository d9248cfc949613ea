package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.CoreSubscriber;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exceptions from subscribers and reader functions reach onError, and every window involved is closed. */
@ExtendWith(NoLeakedWindows.class)
class ErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aSubscriberThrowingFromOnNextGetsTheErrorThroughOnErrorAndTheReadAheadIsClosed() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        IllegalStateException boom = new IllegalStateException("subscriber failed");
        RecordingSubscriber s = new RecordingSubscriber(w -> {
            w.close(); // the subscriber owns what onNext gave it, also when it then throws
            if (w.offset() == 2L * PAGE) {
                throw boom;
            }
        });
        MappedFile.windows(file, Windows.options(PAGE, 2, budget)).subscribe((CoreSubscriber<MappedWindow>) s);

        assertDoesNotThrow(() -> s.request(Long.MAX_VALUE));

        assertSame(boom, s.error);
        assertEquals(3, s.received.size(), "nothing may follow the failing onNext");
        assertEquals(0, budget.liveWindows(), "the windows read ahead must be closed: " + budget);
    }

    @Test
    void aThrowingLambdaConsumerEndsInItsErrorConsumerAndNotOutOfSubscribe() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 16L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        assertDoesNotThrow(() -> MappedFile.windows(file, Windows.options(PAGE, 2, budget)).subscribe(w -> {
            try (w) {
                if (w.offset() == PAGE) {
                    throw new IllegalArgumentException("consumer rejects " + w);
                }
            }
        }, errors::add));
        assertEquals(1, errors.size());
        assertInstanceOf(IllegalArgumentException.class, errors.getFirst());
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void theReaderThrowingEndsTheStreamInOnErrorWithItsWindowClosed() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        AtomicReference<MappedWindow> failedOn = new AtomicReference<>();
        StepVerifier.create(MappedFile.read(file, Windows.options(PAGE, 1, budget), w -> {
                    if (w.offset() == 2L * PAGE) {
                        failedOn.set(w);
                        throw new IllegalStateException("reader failed at " + w.offset());
                    }
                    return w.offset();
                }))
                .expectNext(0L, (long) PAGE)
                .expectErrorSatisfies(e -> {
                    assertInstanceOf(IllegalStateException.class, e);
                    assertEquals("reader failed at " + 2L * PAGE, e.getMessage());
                })
                .verify(Duration.ofSeconds(5));
        assertNotNull(failedOn.get());
        assertFalse(failedOn.get().isOpen(), "the window the reader failed on must be unmapped");
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void theReaderThrowingAnErrorSubclassStillEndsInOnErrorWithItsWindowClosed() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        StepVerifier.create(MappedFile.read(file, Windows.options(PAGE, 1, budget), w -> {
                    throw new AssertionError("assertion in reader at " + w.offset());
                }))
                .expectErrorMatches(e -> e instanceof AssertionError && e.getMessage().equals("assertion in reader at 0"))
                .verify(Duration.ofSeconds(5));
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void theReaderReturningNullEndsInOnErrorWithANullPointerException() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        StepVerifier.create(MappedFile.read(file, Windows.options(PAGE, 1, budget), w -> w.offset() == 0 ? "first" : null))
                .expectNext("first")
                .expectErrorSatisfies(e -> {
                    assertInstanceOf(NullPointerException.class, e);
                    assertTrue(e.getMessage().contains("reader returned null"), e.getMessage());
                })
                .verify(Duration.ofSeconds(5));
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void anInternalErrorFromTheReaderOnAnIntactFileBecomesAnIOExceptionNamingTheWindow() throws Exception {
        // What the JVM raises for a fault in mapped memory; Reactor would rethrow it as fatal if it escaped.
        Path file = TestFiles.pattern(dir, "f.bin", 4L * PAGE);
        MappingBudget budget = Windows.privateBudget();
        StepVerifier.create(MappedFile.read(file, Windows.options(PAGE, 1, budget), w -> {
                    throw new InternalError("a fault occurred in an unsafe memory access");
                }))
                .expectErrorSatisfies(e -> {
                    assertInstanceOf(IOException.class, e);
                    assertFalse(e instanceof FileTruncatedException, "the file is intact: " + e);
                    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("[0, " + PAGE + ")"),
                            e.getMessage());
                    assertInstanceOf(InternalError.class, e.getCause());
                })
                .verify(Duration.ofSeconds(5));
        assertEquals(0, budget.liveWindows());
    }

    @Test
    void aReaderThatRequestsNothingMoreAfterAnErrorIsNotCalledAgain() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * PAGE);
        List<Long> calls = new CopyOnWriteArrayList<>();
        StepVerifier.create(MappedFile.read(file, Windows.options(PAGE, 3, Windows.privateBudget()), w -> {
                    calls.add(w.offset());
                    throw new IllegalStateException("first call fails");
                }))
                .expectError(IllegalStateException.class)
                .verify(Duration.ofSeconds(5));
        assertEquals(List.of(0L), calls);
    }
}
