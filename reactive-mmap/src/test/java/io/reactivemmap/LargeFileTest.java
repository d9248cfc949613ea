package io.reactivemmap;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Files larger than 4 GiB: 64-bit offsets all the way (a sparse 6 GiB file costs no disk). Known bytes are written
 * around the 2 GiB and 4 GiB boundaries and near the end; everything else reads as zero.
 */
@ExtendWith(NoLeakedWindows.class)
class LargeFileTest {
    private static final long GIB = 1L << 30;
    private static final long SIZE = 6 * GIB + 12345;
    /** File offsets with a known non-zero byte: around 2^31, 2^32 and the end, aligned and not. */
    private static final long[] MARKS = {0, (1L << 31) - 1, 1L << 31, (1L << 31) + 1, (1L << 32) - 1, 1L << 32,
            (1L << 32) + 1, (1L << 32) + 4095, 5 * GIB + 17, 5 * GIB + 4096 * 3 + 5, SIZE - 1};

    @TempDir
    static Path dir;
    static Path file;

    @BeforeAll
    static void writeSparseFileWithMarks() throws IOException {
        file = TestFiles.sparse(dir, "big.bin", SIZE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (long mark : MARKS) {
                ch.write(ByteBuffer.wrap(new byte[] {mark(mark)}), mark);
            }
        }
        assertEquals(SIZE, Files.size(file));
    }

    /** A non-zero byte derived from the position, so a window at a wrong (e.g. 32-bit truncated) offset fails. */
    private static byte mark(long position) {
        byte b = TestFiles.byteAt(position);
        return b == 0 ? 1 : b;
    }

    private static byte expectedAt(long position) {
        for (long mark : MARKS) {
            if (mark == position) {
                return mark(position);
            }
        }
        return 0;
    }

    @Test
    void windowsAroundTheTwoAndFourGibBoundariesReadTheRightBytes() {
        int windowSize = 4096 + 7; // unaligned, so windows straddle the boundaries at odd places
        for (long boundary : new long[] {1L << 31, 1L << 32}) {
            long offset = boundary - 3 * windowSize - 11;
            long length = 6L * windowSize;
            List<MappedWindow> seen = new ArrayList<>();
            StepVerifier.create(MappedFile.windows(file, offset, length, MapOptions.defaults().withWindowSize(windowSize)))
                    .thenConsumeWhile(w -> {
                        try (w) {
                            assertWindowBytes(w);
                            seen.add(w);
                        }
                        return true;
                    })
                    .verifyComplete();
            assertEquals(6, seen.size());
            assertEquals(offset, seen.getFirst().offset());
            assertEquals(offset + length, seen.getLast().end());
        }
    }

    @Test
    void windowsStartingAboveFourGibHaveSixtyFourBitOffsetsAndTheRightBytes() {
        long offset = 5 * GIB + 3; // unaligned, above 4 GiB
        long length = SIZE - offset;
        int windowSize = 256 << 20;
        List<long[]> ranges = new ArrayList<>();
        StepVerifier.create(MappedFile.windows(file, offset, length, MapOptions.defaults().withWindowSize(windowSize)))
                .thenConsumeWhile(w -> {
                    try (w) {
                        ranges.add(new long[] {w.offset(), w.length()});
                        // Read only the marked bytes and a few around them: faulting 1 GiB of holes would be slow.
                        for (long mark : MARKS) {
                            for (long p = mark - 2; p <= mark + 2; p++) {
                                if (p >= w.offset() && p < w.end()) {
                                    assertEquals(expectedAt(p), w.segment().get(ValueLayout.JAVA_BYTE, p - w.offset()), "byte " + p);
                                    assertEquals(expectedAt(p), w.asByteBuffer().get((int) (p - w.offset())), "byte " + p + " via ByteBuffer");
                                }
                            }
                        }
                    }
                    return true;
                })
                .verifyComplete();
        assertEquals(offset, ranges.getFirst()[0]);
        assertEquals((length + windowSize - 1) / windowSize, ranges.size());
        assertEquals(SIZE, ranges.getLast()[0] + ranges.getLast()[1]);
    }

    @Test
    void theWholeFileStreamsInWindowsWhoseOffsetsPassFourGib() {
        int windowSize = 512 << 20;
        List<Long> offsets = new ArrayList<>();
        StepVerifier.create(MappedFile.read(file, MapOptions.defaults().withWindowSize(windowSize), w -> {
                    // first and last byte of each window, plus any mark inside it
                    assertEquals(expectedAt(w.offset()), w.segment().get(ValueLayout.JAVA_BYTE, 0));
                    assertEquals(expectedAt(w.end() - 1), w.segment().get(ValueLayout.JAVA_BYTE, w.length() - 1L));
                    for (long mark : MARKS) {
                        if (mark >= w.offset() && mark < w.end()) {
                            assertEquals(mark(mark), w.segment().get(ValueLayout.JAVA_BYTE, mark - w.offset()));
                        }
                    }
                    return w.offset();
                }))
                .recordWith(() -> offsets)
                .thenConsumeWhile(o -> true)
                .verifyComplete();
        assertEquals((SIZE + windowSize - 1) / windowSize, offsets.size());
        for (int i = 0; i < offsets.size(); i++) {
            assertEquals((long) i * windowSize, offsets.get(i));
        }
    }

    @Test
    void aMaximumSizeWindowAtAnUnalignedOffsetAboveFourGibHasAFullByteBufferView() {
        long offset = (1L << 32) + 1;
        StepVerifier.create(MappedFile.windows(file, offset, MapOptions.MAX_WINDOW_SIZE,
                        MapOptions.defaults().withWindowSize(MapOptions.MAX_WINDOW_SIZE).withReadAhead(0)))
                .assertNext(w -> {
                    try (w) {
                        assertEquals(MapOptions.MAX_WINDOW_SIZE, w.length());
                        ByteBuffer view = w.asByteBuffer();
                        assertEquals(MapOptions.MAX_WINDOW_SIZE, view.capacity());
                        assertEquals(mark(offset), view.get(0));
                        assertEquals(mark((1L << 32) + 4095), view.get(4094));
                        assertEquals(0, view.get(MapOptions.MAX_WINDOW_SIZE - 1));
                    }
                })
                .verifyComplete();
    }

    private static void assertWindowBytes(MappedWindow w) {
        for (int i = 0; i < w.length(); i++) {
            long p = w.offset() + i;
            assertEquals(expectedAt(p), w.segment().get(ValueLayout.JAVA_BYTE, i), () -> "byte " + p);
        }
    }
}
