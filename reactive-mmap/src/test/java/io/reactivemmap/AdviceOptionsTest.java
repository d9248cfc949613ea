package io.reactivemmap;

import io.reactivemmap.internal.NativeAccess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kernel advice (sequential, populate-ahead, drop-behind) changes no byte, and on Linux with native access the
 * kernel accepts every call: {@code adviceFailures} must not grow.
 */
@ExtendWith(NoLeakedWindows.class)
class AdviceOptionsTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void nativeAccessIsOnUnderSurefire() {
        // The build passes --enable-native-access=ALL-UNNAMED; without it these tests would prove nothing about advice.
        assertTrue(NativeAccess.available(), () -> "advice is off: " + NativeAccess.unavailableReason().orElse("?"));
    }

    @ParameterizedTest(name = "sequential={0} populateAhead={1} dropBehind={2} offset={3}")
    @CsvSource({
            "true,  false, false, 0",
            "false, false, false, 0",
            "false, true,  false, 0",
            "true,  true,  false, 4097",
            "false, false, true,  0",
            "true,  true,  true,  123",
            "true,  false, true,  4096",
    })
    void streamsCompleteWithTheRightBytesAndTheKernelAcceptsEveryAdvice(boolean sequential, boolean populateAhead,
                                                                       boolean dropBehind, long offset) throws Exception {
        long size = 64L * PAGE + 77;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        MappingBudget budget = Windows.privateBudget();
        MapOptions options = Windows.options(4 * PAGE + 5, 2, budget)
                .withSequential(sequential).withPopulateAhead(populateAhead).withDropBehind(dropBehind);
        long adviceFailuresBefore = MappingStats.snapshot().adviceFailures();

        Long total = MappedFile.read(file, offset, size - offset, options, w -> {
            Windows.assertPatternBytes(w);
            return (long) w.length();
        }).reduce(0L, Long::sum).block(Duration.ofSeconds(20));

        assertEquals(size - offset, total);
        // populate-ahead runs on a background thread: wait for its windows to be released before reading the counter
        Windows.await(Duration.ofSeconds(5), () -> budget.liveWindows() == 0, "left mapped: " + budget);
        assertEquals(adviceFailuresBefore, MappingStats.snapshot().adviceFailures(), "the kernel refused advice");
    }

    @Test
    void populateAheadOnALargerFileMapsNothingPastTheBoundAndCompletes() throws Exception {
        long size = 4L << 20;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        MappingBudget budget = Windows.privateBudget();
        MapOptions options = Windows.options(256 << 10, 3, budget).withPopulateAhead(true).withMaxLiveBytes(1L << 20);
        long adviceFailuresBefore = MappingStats.snapshot().adviceFailures();
        Long total = MappedFile.read(file, options, w -> {
            assertTrue(budget.mappedBytes() <= (1L << 20), "maxLiveBytes exceeded: " + budget);
            Windows.assertPatternBytes(w);
            return (long) w.length();
        }).reduce(0L, Long::sum).block(Duration.ofSeconds(20));
        assertEquals(size, total);
        Windows.await(Duration.ofSeconds(5), () -> budget.liveWindows() == 0, "left mapped: " + budget);
        assertEquals(adviceFailuresBefore, MappingStats.snapshot().adviceFailures());
    }
}
