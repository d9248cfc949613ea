package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import java.io.EOFException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link MappedFile#windows(FileChannel, Path, long, long, MapOptions)}: windows of a channel the caller keeps. */
@ExtendWith(NoLeakedWindows.class)
class BorrowedChannelTest {
    private static final int WINDOW = 64 * 1024;

    @TempDir
    Path dir;

    private static MapOptions options() {
        return Windows.options(WINDOW, 1, Windows.privateBudget());
    }

    @Test
    void theWindowsAreThoseOfTheOpenedFileEvenAfterThePathIsReplaced() throws Exception {
        Path file = TestFiles.pattern(dir, "served.bin", 5L * WINDOW + 123);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Flux<MappedWindow> windows = MappedFile.windows(channel, file, 0, channel.size(), options());
            // Another file of the same size takes the name: the windows must still show the opened inode's bytes.
            Path other = Files.write(dir.resolve("other.bin"), new byte[(int) Files.size(file)]);
            Files.move(other, file, StandardCopyOption.REPLACE_EXISTING);
            StepVerifier.create(windows.doOnNext(w -> {
                        try (w) {
                            assertEquals(file, w.path());
                            Windows.assertPatternBytes(w);
                        }
                    }).count())
                    .expectNext(6L)
                    .verifyComplete();
            assertTrue(channel.isOpen(), "the borrowed channel is the caller's to close");
        }
    }

    @Test
    void aRangeIsServedAndTheChannelOutlivesCancelAndError() throws Exception {
        Path file = TestFiles.pattern(dir, "range.bin", 8L * WINDOW);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            StepVerifier.create(MappedFile.windows(channel, file, WINDOW + 7, 3L * WINDOW, options()), 1)
                    .assertNext(w -> {
                        try (w) {
                            assertEquals(WINDOW + 7, w.offset());
                            Windows.assertPatternBytes(w);
                        }
                    })
                    .thenCancel()
                    .verify(Duration.ofSeconds(10));
            assertTrue(channel.isOpen(), "cancel must not close a borrowed channel");
            StepVerifier.create(MappedFile.windows(channel, file, 7L * WINDOW, 2L * WINDOW, options()))
                    .expectErrorSatisfies(e -> {
                        assertTrue(e instanceof EOFException, e.toString());
                        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
                    })
                    .verify(Duration.ofSeconds(10));
            assertTrue(channel.isOpen(), "an error must not close a borrowed channel");
            // The same channel serves a second subscription after the first ended.
            StepVerifier.create(MappedFile.windows(channel, file, 0, 8L * WINDOW, options()).doOnNext(MappedWindow::close).count())
                    .expectNext(8L)
                    .verifyComplete();
        }
    }

    @Test
    void aClosedChannelIsAnErrorThatNamesTheFileAndTheFix() throws Exception {
        Path file = TestFiles.pattern(dir, "closed.bin", WINDOW);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        channel.close();
        StepVerifier.create(MappedFile.windows(channel, file, 0, WINDOW, options()))
                .expectErrorSatisfies(e -> {
                    assertTrue(e instanceof FileSystemException, e.toString());
                    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("keep the channel open"),
                            e.getMessage());
                })
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void truncationIsCheckedAgainstTheChannel() throws Exception {
        Path file = TestFiles.pattern(dir, "shrinks.bin", 4L * WINDOW);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE)) {
            StepVerifier.create(MappedFile.windows(channel, file, 0, 4L * WINDOW, options()), 1)
                    .assertNext(MappedWindow::close)
                    .then(() -> {
                        try {
                            writer.truncate(WINDOW);
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    })
                    .thenRequest(3)
                    .expectError(FileTruncatedException.class)
                    .verify(Duration.ofSeconds(10));
        }
    }

    @Test
    void badRangesAreRefusedAtAssembly() throws Exception {
        Path file = TestFiles.pattern(dir, "r.bin", WINDOW);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            assertThrows(IllegalArgumentException.class, () -> MappedFile.windows(channel, file, -1, 1, options()));
            assertThrows(IllegalArgumentException.class, () -> MappedFile.windows(channel, file, 1, Long.MAX_VALUE, options()));
        }
    }
}
