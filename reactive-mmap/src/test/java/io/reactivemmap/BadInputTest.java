package io.reactivemmap;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import java.io.EOFException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad files and bad arguments: argument errors throw at assembly; everything about the file reaches onError with
 * a message naming the file or value; nothing is thrown from subscribe or request and nothing is left mapped.
 */
@ExtendWith(NoLeakedWindows.class)
class BadInputTest {
    @TempDir
    Path dir;

    /**
     * Subscribes with a plain lambda subscriber (it requests Long.MAX_VALUE) and returns the one error it got,
     * failing if anything escaped subscribe or if the stream emitted or completed instead.
     */
    private static Throwable errorOf(Flux<MappedWindow> flux) {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<MappedWindow> windows = new CopyOnWriteArrayList<>();
        boolean[] completed = {false};
        assertDoesNotThrow(() -> flux.subscribe(windows::add, errors::add, () -> completed[0] = true),
                "an error escaped subscribe/request");
        windows.forEach(MappedWindow::close);
        assertEquals(List.of(), windows, "expected an error before any window");
        assertEquals(1, errors.size(), () -> "expected exactly one onError, completed=" + completed[0]);
        return errors.getFirst();
    }

    private static void assertMessageNames(Throwable e, Object... parts) {
        for (Object part : parts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(part.toString()),
                    () -> "message of " + e + " does not name '" + part + "'");
        }
    }

    @Test
    void aMissingFileIsANoSuchFileExceptionNamingIt() {
        Path missing = dir.resolve("no-such-file.bin");
        Throwable e = errorOf(MappedFile.windows(missing));
        assertInstanceOf(NoSuchFileException.class, e);
        assertMessageNames(e, missing);
    }

    @Test
    void aDirectoryIsAFileSystemExceptionSayingItIsADirectory() {
        Throwable e = errorOf(MappedFile.windows(dir));
        assertInstanceOf(FileSystemException.class, e);
        assertMessageNames(e, dir, "directory");
    }

    @Test
    void aFifoIsRejectedWithoutBlockingOnOpen() throws Exception {
        Path fifo = dir.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        Assumptions.assumeTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo is not available");
        // Opening a FIFO for reading blocks until a writer appears: a source that opened it would hang here.
        Throwable e = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> errorOf(MappedFile.windows(fifo)));
        assertInstanceOf(FileSystemException.class, e);
        assertMessageNames(e, fifo, "FIFO");
    }

    @Test
    void aProcFileThatReportsSizeZeroButHasContentIsAClearError() throws Exception {
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isReadable(status) && Files.size(status) == 0, "needs Linux /proc");
        Throwable e = errorOf(MappedFile.windows(status));
        assertInstanceOf(FileSystemException.class, e);
        assertMessageNames(e, status, "size of 0");
    }

    @Test
    void anUnreadableFileIsAnAccessDeniedException() throws Exception {
        Path file = TestFiles.pattern(dir, "secret.bin", PAGE);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        Assumptions.assumeFalse(Files.isReadable(file),
                "running as root (or with CAP_DAC_OVERRIDE): file permissions do not apply, so permission-denied cannot be produced");
        Throwable e = errorOf(MappedFile.windows(file));
        assertInstanceOf(AccessDeniedException.class, e);
        assertMessageNames(e, file);
    }

    @Test
    void aZeroLengthFileCompletesEmptyAndMapsNothing() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.bin"));
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        StepVerifier.create(MappedFile.windows(empty)).verifyComplete();
        StepVerifier.create(MappedFile.read(empty, w -> 1)).verifyComplete();
        assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped());
    }

    @Test
    void anEmptyRangeCompletesEmptyAndMapsNothing() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 3L * PAGE);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        StepVerifier.create(MappedFile.windows(file, PAGE, 0)).verifyComplete();
        StepVerifier.create(MappedFile.windows(file, 3L * PAGE, 0)).verifyComplete();
        assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped());
    }

    @ParameterizedTest(name = "offset={0}")
    @ValueSource(longs = {-1, Long.MIN_VALUE})
    void aNegativeOffsetThrowsAtAssemblyNamingTheValue(long offset) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MappedFile.windows(dir.resolve("never-opened"), offset, 10));
        assertMessageNames(e, "offset", Long.toString(offset));
    }

    @ParameterizedTest(name = "length={0}")
    @ValueSource(longs = {-1, Long.MIN_VALUE})
    void aNegativeLengthThrowsAtAssemblyNamingTheValue(long length) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MappedFile.windows(dir.resolve("never-opened"), 0, length, MapOptions.defaults()));
        assertMessageNames(e, "length", Long.toString(length));
    }

    @Test
    void anOffsetPlusLengthThatOverflowsThrowsAtAssemblyNamingBoth() {
        long offset = Long.MAX_VALUE - 10;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MappedFile.windows(dir.resolve("never-opened"), offset, 11));
        assertMessageNames(e, "overflow", Long.toString(offset), "11");
        assertDoesNotThrow(() -> MappedFile.windows(dir.resolve("never-opened"), offset, 10), "offset + length == Long.MAX_VALUE is fine");
    }

    @Test
    void aRangePastTheEndIsAnEofExceptionNamingTheFileAndItsSize() throws Exception {
        long size = 3L * PAGE;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        Throwable e = errorOf(MappedFile.windows(file, PAGE, size));
        assertInstanceOf(EOFException.class, e);
        assertMessageNames(e, file, "size " + size, "at most " + (size - PAGE));

        Throwable past = errorOf(MappedFile.windows(file, size + 1, 0));
        assertInstanceOf(EOFException.class, past);
        assertMessageNames(past, file, "offset " + (size + 1));

        Throwable huge = errorOf(MappedFile.windows(file, 0, Long.MAX_VALUE));
        assertInstanceOf(EOFException.class, huge);
    }

    @ParameterizedTest(name = "windowSize={0}")
    @ValueSource(longs = {0, -1, Integer.MIN_VALUE, MapOptions.MAX_WINDOW_SIZE + 1L, Integer.MAX_VALUE, Integer.MAX_VALUE + 1L,
            1L << 32, Long.MAX_VALUE, Long.MIN_VALUE})
    void aWindowSizeOutsideOneToMaxWindowSizeIsRejectedNamingTheValue(long windowSize) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MapOptions.defaults().withWindowSize(windowSize));
        assertMessageNames(e, "windowSize", Long.toString(windowSize), Integer.toString(MapOptions.MAX_WINDOW_SIZE));
    }

    @Test
    void theLimitsOfTheWindowSizeAreAccepted() {
        assertEquals(1, MapOptions.defaults().withWindowSize(1).windowSize());
        assertEquals(MapOptions.MAX_WINDOW_SIZE, MapOptions.defaults().withWindowSize(MapOptions.MAX_WINDOW_SIZE).windowSize());
    }

    @Test
    void otherOutOfRangeOptionsAreRejectedNamingTheValue() {
        assertMessageNames(assertThrows(IllegalArgumentException.class, () -> MapOptions.defaults().withReadAhead(-1)), "readAhead", "-1");
        assertMessageNames(assertThrows(IllegalArgumentException.class, () -> MapOptions.defaults().withMaxLiveBytes(0)), "maxLiveBytes", "0");
        assertMessageNames(assertThrows(IllegalArgumentException.class, () -> MappingBudget.of(0, 1)), "maxWindows", "0");
        assertMessageNames(assertThrows(IllegalArgumentException.class, () -> MappingBudget.of(1, 0)), "maxBytes", "0");
    }

    @Test
    void nullArgumentsThrowAtAssemblyNamingTheArgument() {
        Path file = dir.resolve("x");
        assertMessageNames(assertThrows(NullPointerException.class, () -> MappedFile.windows(null)), "path");
        assertMessageNames(assertThrows(NullPointerException.class, () -> MappedFile.windows(file, null)), "options");
        assertMessageNames(assertThrows(NullPointerException.class, () -> MappedFile.windows(null, 0, 1)), "path");
        assertMessageNames(assertThrows(NullPointerException.class, () -> MappedFile.read(file, null)), "reader");
        assertMessageNames(assertThrows(NullPointerException.class, () -> MapOptions.defaults().withBudget(null)), "budget");
    }

    @Test
    void everyFileErrorReachesOnErrorOfARawSubscriberAndNeverEscapesRequest() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", PAGE);
        List<Flux<MappedWindow>> bad = List.of(MappedFile.windows(dir.resolve("missing")), MappedFile.windows(dir),
                MappedFile.windows(file, 0, 2L * PAGE));
        for (Flux<MappedWindow> flux : bad) {
            RecordingSubscriber s = new RecordingSubscriber();
            assertDoesNotThrow(() -> flux.subscribe(s));
            assertDoesNotThrow(() -> s.request(1));
            assertTrue(s.awaitTermination(Duration.ofSeconds(1)));
            assertInstanceOf(java.io.IOException.class, s.error, flux.toString());
            assertTrue(s.received.isEmpty());
        }
    }

    /**
     * A process out of descriptors (EMFILE): the error says so and what to change, instead of a bare errno. The test
     * opens channels until the process limit refuses one, subscribes, then closes them all.
     */
    @Test
    void aProcessOutOfFileDescriptorsGetsAnErrorThatSaysSoAndWhatToChange() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", PAGE);
        // Load every class the failing subscription needs while descriptors are left: class loading opens files too.
        MappedFile.windows(file).doOnNext(MappedWindow::close).blockLast();
        assertInstanceOf(NoSuchFileException.class, errorOf(MappedFile.windows(dir.resolve("absent"))));
        java.util.ArrayList<java.nio.channels.FileChannel> held = new java.util.ArrayList<>();
        try {
            try {
                for (int i = 0; i < 1_000_000; i++) {
                    held.add(java.nio.channels.FileChannel.open(file));
                }
                Assumptions.abort("no descriptor limit reached after 1,000,000 opens");
            } catch (FileSystemException limit) {
                assertTrue(String.valueOf(limit.getReason()).contains("Too many open files"), limit::toString);
            }
            Throwable e = errorOf(MappedFile.windows(file));
            assertInstanceOf(FileSystemException.class, e);
            assertMessageNames(e, file, "too many open files", "ulimit -n", "MappedFile.windows(channel");
        } finally {
            for (java.nio.channels.FileChannel c : held) {
                c.close();
            }
        }
    }
}
