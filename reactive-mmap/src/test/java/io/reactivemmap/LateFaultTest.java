package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * HotSpot may deliver the InternalError of a SIGBUS late, after the faulting read, inside whatever the thread runs
 * next: here, a subscriber's onNext called from the source's drain loop. It must arrive as a truncation, not escape
 * request().
 */
@ExtendWith(NoLeakedWindows.class)
class LateFaultTest {
    @TempDir
    Path dir;

    @Test
    void aFaultRaisedInOnNextAfterTheFileShrankArrivesAsTruncation() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4 * 4096);
        AtomicReference<Throwable> error = new AtomicReference<>();
        BaseSubscriber<MappedWindow> subscriber = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
            }

            @Override
            protected void hookOnNext(MappedWindow w) {
                w.close();
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(4096);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                throw new InternalError("a fault occurred in an unsafe memory access operation (simulated)");
            }

            @Override
            protected void hookOnError(Throwable t) {
                error.set(t);
            }
        };
        MappedFile.windows(file, MapOptions.defaults().withWindowSize(4096).withReadAhead(0)).subscribe(subscriber);
        assertDoesNotThrow(() -> subscriber.request(1), "the fault must not escape request()");
        FileTruncatedException truncated = assertInstanceOf(FileTruncatedException.class, error.get());
        assertEquals(4 * 4096, truncated.expectedSize());
        assertEquals(4096, truncated.observedSize());
        assertInstanceOf(InternalError.class, truncated.getCause());
    }

    @Test
    void aFaultOnAnIntactFileIsStillFatal() throws Exception {
        Path file = TestFiles.pattern(dir, "g.bin", 2 * 4096);
        InternalError vmBug = new InternalError("not a truncation");
        BaseSubscriber<MappedWindow> subscriber = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
            }

            @Override
            protected void hookOnNext(MappedWindow w) {
                w.close();
                throw vmBug;
            }
        };
        MappedFile.windows(file, MapOptions.defaults().withWindowSize(4096).withReadAhead(0)).subscribe(subscriber);
        InternalError thrown = org.junit.jupiter.api.Assertions.assertThrows(InternalError.class, () -> subscriber.request(1),
                "a genuine VM error is not disguised as an I/O error");
        assertSame(vmBug, thrown);
        subscriber.cancel();
    }
}
