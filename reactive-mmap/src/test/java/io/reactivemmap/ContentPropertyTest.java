package io.reactivemmap;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static io.reactivemmap.Windows.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Property-style: for random window sizes (1 byte to a few pages, mostly unaligned), offsets, lengths, read-ahead
 * and byte bounds, the windows tile exactly {@code [offset, offset + length)} in order and every byte equals the
 * file's. Seeds are fixed, so a failure names a case that reproduces.
 */
@ExtendWith(NoLeakedWindows.class)
class ContentPropertyTest {
    private static final long FILE_SIZE = 5L * PAGE * 16 + 1234; // ~330 KiB, not a page multiple
    /** Cap on windows per case, so 1-byte windows stay fast. */
    private static final long MAX_WINDOWS = 3000;

    @TempDir
    static Path dir;
    private static Path file;

    static LongStream seeds() {
        return LongStream.range(0, 50).map(i -> 0x5EED_0000L + i * 7919);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void windowsTileTheRangeExactlyAndMatchTheFileByteForByte(long seed) throws Exception {
        Path file = file();
        Random random = new Random(seed);
        boolean wholeFile = random.nextInt(8) == 0;
        long offset = wholeFile ? 0 : randomOffset(random);
        long length = wholeFile ? FILE_SIZE : randomLength(random, FILE_SIZE - offset);
        int windowSize = randomWindowSize(random, length);
        int readAhead = random.nextInt(4);
        long maxLiveBytes = random.nextBoolean() ? 64L << 20 : 1 + random.nextInt(4 * PAGE);
        boolean viaBuffer = random.nextBoolean();
        MappingBudget budget = Windows.privateBudget();
        MapOptions options = Windows.options(windowSize, readAhead, budget).withMaxLiveBytes(maxLiveBytes);
        String description = "seed " + seed + ": offset " + offset + ", length " + length + ", windowSize " + windowSize
                + ", readAhead " + readAhead + ", maxLiveBytes " + maxLiveBytes + (wholeFile ? ", whole file" : "");

        Flux<MappedWindow> flux = wholeFile ? MappedFile.windows(file, options) : MappedFile.windows(file, offset, length, options);
        List<long[]> ranges = new ArrayList<>();
        try {
            flux.doOnNext(w -> {
                        try (w) {
                            ranges.add(new long[] {w.offset(), w.length()});
                            if (viaBuffer) {
                                Windows.assertPatternBytesViaBuffer(w);
                            } else {
                                Windows.assertPatternBytes(w);
                            }
                        }
                    })
                    .then()
                    .block(Duration.ofSeconds(20));
        } catch (RuntimeException | AssertionError e) {
            fail(description + ": " + e, e);
        }

        long expectedCount = length == 0 ? 0 : (length + windowSize - 1) / windowSize;
        assertEquals(expectedCount, ranges.size(), () -> description + ": window count");
        long position = offset;
        for (int i = 0; i < ranges.size(); i++) {
            long[] r = ranges.get(i);
            assertEquals(position, r[0], description + ": window " + i + " does not start where the previous ended");
            long expectedLength = i < ranges.size() - 1 ? windowSize : offset + length - position;
            assertEquals(expectedLength, r[1], description + ": length of window " + i);
            position += r[1];
        }
        assertEquals(offset + length, position, description + ": windows do not end at offset + length");
        assertEquals(0, budget.liveWindows(), description);
    }

    private static long randomOffset(Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> (long) random.nextInt((int) (FILE_SIZE / PAGE)) * PAGE; // page-aligned
            case 2 -> FILE_SIZE - random.nextInt(PAGE); // near the end
            default -> random.nextLong(FILE_SIZE + 1);
        };
    }

    private static long randomLength(Random random, long available) {
        return switch (random.nextInt(5)) {
            case 0 -> available;
            case 1 -> Math.min(available, random.nextInt(3)); // 0, 1 or 2 bytes
            default -> random.nextLong(available + 1);
        };
    }

    private static int randomWindowSize(Random random, long length) {
        int min = (int) Math.max(1, (length + MAX_WINDOWS - 1) / MAX_WINDOWS);
        int size = switch (random.nextInt(4)) {
            case 0 -> 1 + random.nextInt(16); // tiny
            case 1 -> PAGE * (1 + random.nextInt(3)); // page multiples
            case 2 -> PAGE + (random.nextBoolean() ? 1 : -1); // just off a page
            default -> 1 + random.nextInt(4 * PAGE);
        };
        return Math.max(min, size);
    }

    private static synchronized Path file() throws Exception {
        if (file == null) {
            file = TestFiles.pattern(dir, "pattern.bin", FILE_SIZE);
        }
        return file;
    }
}
