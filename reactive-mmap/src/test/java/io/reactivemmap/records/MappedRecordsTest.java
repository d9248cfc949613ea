package io.reactivemmap.records;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedRecord;
import io.reactivemmap.MappedRecords;
import io.reactivemmap.MappingStats;
import io.reactivemmap.NoLeakedWindows;
import io.reactivemmap.RecordOptions;
import io.reactivemmap.RecordTooLongException;
import io.reactivemmap.records.ReferenceSplit.Rec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(NoLeakedWindows.class)
@Timeout(60)
class MappedRecordsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Path file(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private Path file(String content) throws IOException {
        return file("f.txt", content.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static RecordOptions lines(int windowSize) {
        return RecordOptions.lines().withMapOptions(MapOptions.defaults().withWindowSize(windowSize));
    }

    /** Reads every record with the scoped form, keeping a copy of what the reference split would say. */
    private static List<Rec> readAll(Path file, RecordOptions options) {
        return MappedRecords.read(file, options, r -> new Rec(r.index(), r.offset(), r.toByteArray(), r.isCopy()))
                .collectList().block(TIMEOUT);
    }

    private static List<String> strings(Path file, RecordOptions options) {
        return MappedRecords.read(file, options, r -> r.toString(StandardCharsets.ISO_8859_1)).collectList().block(TIMEOUT);
    }

    // ---- what a record is ------------------------------------------------------------------------------------

    @Test
    void emptyFileCompletesWithoutRecordsAndMapsNothing() throws Exception {
        Path f = file("");
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        StepVerifier.create(MappedRecords.lines(f)).expectComplete().verify(TIMEOUT);
        assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped());
    }

    @Test
    void lastRecordWithoutDelimiterIsEmittedAndTrailingDelimiterStartsNoEmptyRecord() throws Exception {
        assertEquals(List.of("a", "bc"), strings(file("a\nbc"), lines(4)));
        assertEquals(List.of("a", "bc"), strings(file("a\nbc\n"), lines(4)));
        assertEquals(List.of(""), strings(file("\n"), lines(4)));
        assertEquals(List.of("a", "", "", "b"), strings(file("a\n\n\nb"), lines(2)));
    }

    @Test
    void carriageReturnBeforeNewlineIsDroppedEvenAcrossAWindowBoundaryButLoneCrIsData() throws Exception {
        // Window size 3: "ab\r" | "\ncd" | "\r\ne" | "\rf\r" — the CR of the first line is the last byte of window 0.
        Path f = file("ab\r\ncd\r\ne\rf\r");
        assertEquals(List.of("ab", "cd", "e\rf"), strings(f, lines(3)));
        assertEquals(List.of("ab\r", "cd\r", "e\rf\r"), strings(f, lines(3).withStripCarriageReturn(false)));
    }

    @Test
    void anyDelimiterByteSplitsAndNothingIsStrippedByDefault() throws Exception {
        Path f = file("x.bin", new byte[] {1, 0, 2, 3, '\r', 0, 0, 4});
        List<Rec> got = readAll(f, RecordOptions.delimitedBy((byte) 0).withMapOptions(MapOptions.defaults().withWindowSize(3)));
        assertEquals(ReferenceSplit.split(new byte[] {1, 0, 2, 3, '\r', 0, 0, 4}, 0, (byte) 0, false, 3), got);
        assertEquals(4, got.size());
    }

    @Test
    void recordInsideOneWindowIsAViewAndRecordAcrossWindowsIsOneCopy() throws Exception {
        // Window size 8: "aaa\nbbbb" | "bb\ncc\ndd"
        Path f = file("aaa\nbbbbbb\ncc\ndd");
        List<MappedRecord> held = MappedRecords.lines(f, MapOptions.defaults().withWindowSize(8)).collectList().block(TIMEOUT);
        try {
            assertEquals(List.of(false, true, false, false), held.stream().map(MappedRecord::isCopy).toList());
            assertEquals("bbbbbb", held.get(1).toString(StandardCharsets.US_ASCII));
            assertEquals(4, held.get(1).offset());
            assertEquals(10, held.get(1).end());
        } finally {
            held.forEach(MappedRecord::close);
        }
    }

    @Test
    void recordLongerThanManyWindowsIsCopiedOnceWithTheRightBytes() throws Exception {
        String longLine = "x".repeat(1000) + "y";
        Path f = file("a\n" + longLine + "\r\nb");
        List<Rec> got = readAll(f, lines(7));
        assertEquals(3, got.size());
        assertEquals(longLine, new String(got.get(1).bytes(), StandardCharsets.US_ASCII));
        assertTrue(got.get(1).copy());
        assertEquals(2, got.get(1).offset());
    }

    // ---- property: random content, delimiters and window sizes against the reference split -------------------

    @Test
    void randomContentSplitsExactlyAsTheReferenceForTinyAndOddWindowSizes() throws Exception {
        Random random = new Random(0xC0FFEE);
        byte[] alphabet = {'a', 'b', '\n', '\r', 0, ';', (byte) 0xff};
        for (int round = 0; round < 500; round++) {
            int size = random.nextInt(round < 20 ? 12 : 400);
            byte[] content = new byte[size];
            // Vary the density of delimiters: from none (records span many windows) to mostly delimiters.
            int density = 1 + random.nextInt(40);
            for (int i = 0; i < size; i++) {
                content[i] = random.nextInt(density) == 0 ? alphabet[2 + random.nextInt(4)] : alphabet[random.nextInt(alphabet.length)];
            }
            byte delimiter = new byte[] {'\n', 0, ';'}[random.nextInt(3)];
            boolean strip = random.nextBoolean();
            int windowSize = new int[] {1, 2, 3, 7, 8, 13, 64, 4096}[random.nextInt(8)];
            Path f = file("r" + round + ".bin", content);
            RecordOptions options = RecordOptions.delimitedBy(delimiter).withStripCarriageReturn(strip)
                    .withMapOptions(MapOptions.defaults().withWindowSize(windowSize).withReadAhead(random.nextInt(3)));
            List<Rec> expected = ReferenceSplit.split(content, 0, delimiter, strip, windowSize);
            String context = "round " + round + ": size " + size + ", delimiter " + delimiter + ", strip " + strip
                    + ", window " + windowSize;
            assertEquals(expected, readAll(f, options), context);

            // The same through a byte range of the file, split as if it were the whole file.
            if (size > 0) {
                int from = random.nextInt(size);
                int length = random.nextInt(size - from + 1);
                byte[] part = java.util.Arrays.copyOfRange(content, from, from + length);
                List<Rec> expectedRange = ReferenceSplit.split(part, from, delimiter, strip, windowSize);
                List<Rec> gotRange = MappedRecords.read(f, from, length, options,
                        r -> new Rec(r.index(), r.offset(), r.toByteArray(), r.isCopy())).collectList().block(TIMEOUT);
                assertEquals(expectedRange, gotRange, context + ", range [" + from + ", +" + length + ")");
            }
            Files.delete(f);
        }
    }

    @Test
    void randomContentReadOneRecordAtATimeWhileHoldingRecordsGivesTheSameRecords() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 30; round++) {
            byte[] content = new byte[random.nextInt(300)];
            for (int i = 0; i < content.length; i++) {
                content[i] = random.nextInt(6) == 0 ? (byte) '\n' : (byte) ('a' + random.nextInt(26));
            }
            int windowSize = 1 + random.nextInt(20);
            Path f = file("h" + round + ".txt", content);
            List<MappedRecord> held = new ArrayList<>();
            StepVerifier.Step<MappedRecord> step = StepVerifier.create(
                    MappedRecords.lines(f, MapOptions.defaults().withWindowSize(windowSize).withReadAhead(0)), 0);
            List<Rec> expected = ReferenceSplit.split(content, 0, (byte) '\n', true, windowSize);
            for (int i = 0; i < expected.size(); i++) {
                step = step.thenRequest(1).assertNext(held::add);
            }
            // No extra request: the source completes as soon as the last record is out.
            step.expectComplete().verify(TIMEOUT);
            try {
                List<Rec> got = held.stream().map(r -> new Rec(r.index(), r.offset(), r.toByteArray(), r.isCopy())).toList();
                assertEquals(expected, got, "round " + round + ", window " + windowSize);
            } finally {
                held.forEach(MappedRecord::close);
            }
        }
    }

    // ---- limits -----------------------------------------------------------------------------------------------

    @Test
    void recordLongerThanTheLimitFailsNamingFileOffsetAndLimit() throws Exception {
        Path f = file("ok\n" + "z".repeat(50) + "\nnever");
        List<String> seen = new ArrayList<>();
        StepVerifier.create(MappedRecords.read(f, lines(7).withMaxRecordLength(10), r -> r.toString(StandardCharsets.US_ASCII)))
                .recordWith(() -> seen)
                .expectNext("ok")
                .expectErrorSatisfies(e -> {
                    RecordTooLongException tooLong = assertInstanceOf(RecordTooLongException.class, e);
                    assertEquals(3, tooLong.offset());
                    assertEquals(10, tooLong.limit());
                    assertEquals(f, tooLong.path());
                    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("offset 3")
                            && e.getMessage().contains("10 bytes") && e.getMessage().contains("withMaxRecordLength"), e.getMessage());
                })
                .verify(TIMEOUT);
    }

    @Test
    void recordOfExactlyTheLimitPassesAndTheLimitAppliesAfterTheCarriageReturnIsDropped() throws Exception {
        Path f = file("abcd\r\nabcd\nabcde\n");
        StepVerifier.create(MappedRecords.read(f, lines(3).withMaxRecordLength(4), r -> r.toString(StandardCharsets.US_ASCII)))
                .expectNext("abcd", "abcd")
                .expectErrorSatisfies(e -> assertEquals(11, ((RecordTooLongException) e).offset()))
                .verify(TIMEOUT);
    }

    @Test
    void theLimitDoesNotDependOnTheWindowSize() throws Exception {
        Path f = file("a".repeat(20) + "\n");
        for (int windowSize : new int[] {3, 20, 21, 4096}) {
            StepVerifier.create(MappedRecords.lines(f, MapOptions.defaults().withWindowSize(windowSize))
                            .map(r -> { r.close(); return r.length(); }))
                    .expectNext(20).expectComplete().verify(TIMEOUT);
            StepVerifier.create(MappedRecords.records(f, lines(windowSize).withMaxRecordLength(19)))
                    .expectError(RecordTooLongException.class).verify(TIMEOUT);
        }
    }

    @Test
    void badOptionsAndArgumentsFailAtAssembly() throws Exception {
        Path f = file("a");
        assertThrows(IllegalArgumentException.class, () -> RecordOptions.lines().withMaxRecordLength(0));
        assertThrows(IllegalArgumentException.class, () -> RecordOptions.lines().withMaxRecordLength(1L << 31));
        assertThrows(NullPointerException.class, () -> MappedRecords.lines(null));
        assertThrows(NullPointerException.class, () -> MappedRecords.records(f, null));
        assertThrows(NullPointerException.class, () -> MappedRecords.readLines(f, null));
        assertThrows(IllegalArgumentException.class, () -> MappedRecords.records(f, -1, 1, RecordOptions.lines()));
        assertThrows(IllegalArgumentException.class, () -> MappedRecords.records(f, 1, Long.MAX_VALUE, RecordOptions.lines()));
    }

    @Test
    void missingFileArrivesThroughOnError() {
        StepVerifier.create(MappedRecords.lines(dir.resolve("missing.log")))
                .expectError(NoSuchFileException.class).verify(TIMEOUT);
    }

    // ---- backpressure and window life --------------------------------------------------------------------------

    @Test
    void nothingIsMappedBeforeRequestAndOneRecordIsEmittedPerRequest() throws Exception {
        Path f = file("a\nb\nc\n");
        long before = MappingStats.snapshot().windowsMapped();
        StepVerifier.create(MappedRecords.lines(f, MapOptions.defaults().withReadAhead(0)), 0)
                .expectSubscription()
                .then(() -> assertEquals(before, MappingStats.snapshot().windowsMapped(), "mapped before any request"))
                .thenRequest(1)
                .assertNext(r -> { assertEquals("a", r.toString(StandardCharsets.US_ASCII)); r.close(); })
                .expectNoEvent(Duration.ofMillis(20))
                .thenRequest(2)
                .assertNext(MappedRecord::close)
                .assertNext(MappedRecord::close)
                .expectComplete().verify(TIMEOUT);
    }

    @Test
    void aWindowStaysMappedWhileARecordViewsItAndIsUnmappedWhenItsLastRecordCloses() throws Exception {
        // Window size 4: "aa\nb" | "b\ncc" ; readAhead 0 so the live count is exactly what records and the scan hold.
        Path f = file("aa\nbb\ncc");
        MapOptions options = MapOptions.defaults().withWindowSize(4).withReadAhead(0);
        List<MappedRecord> held = new ArrayList<>();
        StepVerifier.create(MappedRecords.lines(f, options), 0)
                .thenRequest(1)
                .assertNext(held::add) // "aa", a view of window 0
                .then(() -> assertEquals(1, MappingStats.snapshot().liveWindows()))
                .thenRequest(1)
                .assertNext(held::add) // "bb" crosses into window 1: a copy; window 0 is held only by "aa" now
                .then(() -> {
                    assertTrue(held.get(1).isCopy());
                    assertEquals(2, MappingStats.snapshot().liveWindows());
                    assertEquals("aa", held.getFirst().toString(StandardCharsets.US_ASCII));
                    held.getFirst().close();
                    assertEquals(1, MappingStats.snapshot().liveWindows(), "window 0 unmapped when its last record closed");
                    held.get(1).close();
                })
                .thenRequest(1)
                .assertNext(r -> { assertEquals("cc", r.toString(StandardCharsets.US_ASCII)); r.close(); })
                // Completes without further demand: the last window has nothing left to cut.
                .expectComplete().verify(TIMEOUT);
    }

    @Test
    void recordIsUnreadableAfterCloseAndCloseIsIdempotent() throws Exception {
        Path f = file("abc\n");
        MappedRecord r = MappedRecords.lines(f).blockFirst(TIMEOUT);
        assertTrue(r.isOpen());
        r.retain();
        r.close();
        r.close();
        assertTrue(r.isOpen(), "a retained record stays open after close");
        assertEquals("abc", r.toString(StandardCharsets.US_ASCII));
        assertTrue(r.release());
        assertFalse(r.isOpen());
        assertThrows(IllegalStateException.class, r::segment);
        assertThrows(IllegalStateException.class, r::release);
        assertThrows(IllegalStateException.class, r::retain);
    }

    // ---- cancel, take, errors: every path leaves zero windows (checked by NoLeakedWindows) -------------------

    @Test
    void cancelMidStreamClosesTheWindowsTheSourceHolds() throws Exception {
        Path f = file("l1\nl2\nl3\nl4\nl5\n".repeat(20));
        StepVerifier.create(MappedRecords.lines(f, MapOptions.defaults().withWindowSize(5)), 0)
                .thenRequest(3)
                .assertNext(MappedRecord::close)
                .assertNext(MappedRecord::close)
                .assertNext(MappedRecord::close)
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void takeStopsTheSourceAndLeavesNothingMapped() throws Exception {
        Path f = file("x\n".repeat(1000));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L),
                MappedRecords.readLines(f, MappedRecord::index).take(5).collectList().block(TIMEOUT));
        List<Long> raw = MappedRecords.lines(f, MapOptions.defaults().withWindowSize(7))
                .take(7)
                .map(r -> { try (r) { return r.offset(); } })
                .collectList().block(TIMEOUT);
        assertEquals(List.of(0L, 2L, 4L, 6L, 8L, 10L, 12L), raw);
    }

    @Test
    void filteredRecordsAreClosedThroughTheDiscardHook() throws Exception {
        Path f = file("keep\ndrop\nkeep\ndrop\n".repeat(10));
        long kept = MappedRecords.lines(f, MapOptions.defaults().withWindowSize(16))
                .filter(r -> r.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0) == 'k')
                .doOnNext(MappedRecord::close)
                .doOnDiscard(MappedRecord.class, MappedRecord::close)
                .count().block(TIMEOUT);
        assertEquals(20, kept);
    }

    @Test
    void exceptionFromTheReaderArrivesThroughOnErrorAndClosesEverything() throws Exception {
        Path f = file("a\nb\nboom\nc\n");
        AtomicInteger calls = new AtomicInteger();
        StepVerifier.create(MappedRecords.read(f, lines(3), r -> {
                    calls.incrementAndGet();
                    if (r.toString(StandardCharsets.US_ASCII).equals("boom")) {
                        throw new IllegalStateException("reader failed on " + r.offset());
                    }
                    return r.length();
                }))
                .expectNext(1, 1)
                .expectErrorMessage("reader failed on 4")
                .verify(TIMEOUT);
        assertEquals(3, calls.get());
    }

    @Test
    void readerReturningNullIsAnError() throws Exception {
        Path f = file("a\n");
        StepVerifier.create(MappedRecords.readLines(f, r -> null))
                .expectError(NullPointerException.class).verify(TIMEOUT);
    }

    @Test
    void recordsClosedOnAnotherThreadReleaseTheirWindows() throws Exception {
        Path f = file("0123456789\n".repeat(500));
        long total = MappedRecords.lines(f, MapOptions.defaults().withWindowSize(64).withMaxLiveBytes(64))
                .publishOn(Schedulers.boundedElastic(), 8)
                .map(r -> { try (r) { return (long) r.length(); } })
                .doOnDiscard(MappedRecord.class, MappedRecord::close)
                .reduce(0L, Long::sum).block(TIMEOUT);
        assertEquals(5000, total);
    }

    @Test
    void cancelWhileRecordsWaitInAPrefetchQueueClosesThemThroughTheDiscardHook() throws Exception {
        Path f = file("0123456789\n".repeat(500));
        Flux<Integer> lengths = MappedRecords.lines(f, MapOptions.defaults().withWindowSize(32))
                .publishOn(Schedulers.boundedElastic(), 64)
                .map(r -> { try (r) { return r.length(); } })
                .doOnDiscard(MappedRecord.class, MappedRecord::close);
        StepVerifier.create(lengths, 10)
                .expectNextCount(10)
                .thenCancel()
                .verify(TIMEOUT);
    }
}
