package io.reactivemmap.netty.http;

import io.reactivemmap.netty.http.ByteRanges.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ByteRangesTest {
    private static final long SIZE = 10_000;

    private static Outcome eval(String header) {
        return ByteRanges.evaluate(header, SIZE, RangeLimits.DEFAULT);
    }

    private static List<ByteRange> partial(String header, long size) {
        return assertInstanceOf(Outcome.Partial.class, ByteRanges.evaluate(header, size, RangeLimits.DEFAULT)).ranges();
    }

    @ParameterizedTest(name = "{0} of 10000 bytes is {1}-{2}")
    @CsvSource(delimiter = ';', value = {
            "bytes=0-0; 0; 0",
            "bytes=0-99; 0; 99",
            "bytes=100-199; 100; 199",
            "bytes=9999-9999; 9999; 9999",
            "bytes=9000-; 9000; 9999",
            "bytes=0-; 0; 9999",
            "bytes=-1; 9999; 9999",
            "bytes=-500; 9500; 9999",
            "bytes=-10000; 0; 9999",
            "bytes=-99999; 0; 9999",
            "bytes=9990-20000; 9990; 9999",
            "BYTES=0-9; 0; 9",
            "Bytes=0-9; 0; 9",
            "bytes=0-9,; 0; 9",
            "bytes=,0-9; 0; 9",
            "bytes= 0-9; 0; 9",
            "bytes=0-9 ; 0; 9",
            "bytes=0-9 , ; 0; 9",
            "bytes=0-18446744073709551615; 0; 9999",
            "bytes=0-99999999999999999999999999999999; 0; 9999",
            "bytes=-18446744073709551615; 0; 9999",
            "bytes=5-99999999999999999999, 20000-30000; 5; 9999",
    })
    void satisfiableSingleRangesAreResolvedAgainstTheSize(String header, long first, long last) {
        assertEquals(List.of(new ByteRange(first, last)), partial(header, SIZE));
    }

    @ParameterizedTest(name = "{0} is ignored (200)")
    @ValueSource(strings = {
            "", "bytes", "bytes=", "bytes=,", "bytes=-", "bytes=abc", "bytes=1-a", "bytes=a-1", "bytes=5-4",
            "bytes=1--2", "bytes=1-2-3", "bytes=+1-2", "bytes=0x10-20", "bytes=1.5-2", "bytes = 0-1", "bytes =0-1",
            "bytes=0 -1", "bytes=0- 1", "items=0-1", "0-1", "bytes=0-1;q=1", "bytes=0-1,5-4", "bytes=-1-",
            "bytes=\u0661-\u0662", "bytes=0-1,\u0000", "bytes=0-1\r\n"
    })
    void invalidSyntaxIsIgnoredAndTheWholeFileServed(String header) {
        assertInstanceOf(Outcome.Whole.class, eval(header), header);
    }

    @ParameterizedTest(name = "{0} is unsatisfiable (416)")
    @ValueSource(strings = {
            "bytes=10000-", "bytes=10000-10000", "bytes=20000-30000", "bytes=-0", "bytes=-0,10000-",
            "bytes=18446744073709551616-", "bytes=9223372036854775807-9223372036854775807",
            "bytes=99999999999999999999999999-99999999999999999999999999"
    })
    void rangesStartingPastTheEndAreUnsatisfiable(String header) {
        assertInstanceOf(Outcome.Unsatisfiable.class, eval(header), header);
    }

    @Test
    void anEmptyFileSatisfiesNoRange() {
        assertInstanceOf(Outcome.Unsatisfiable.class, ByteRanges.evaluate("bytes=0-", 0, RangeLimits.DEFAULT));
        assertInstanceOf(Outcome.Unsatisfiable.class, ByteRanges.evaluate("bytes=-5", 0, RangeLimits.DEFAULT));
    }

    @Test
    void anAbsentHeaderMeansTheWholeFile() {
        assertInstanceOf(Outcome.Whole.class, ByteRanges.evaluate(null, SIZE, RangeLimits.DEFAULT));
    }

    @Test
    void unsatisfiableRangesAmongSatisfiableOnesAreDropped() {
        assertEquals(List.of(new ByteRange(0, 9)), partial("bytes=20000-,0-9,-0", SIZE));
    }

    @Test
    void disjointRangesKeepTheClientsOrder() {
        assertEquals(List.of(new ByteRange(5000, 5099), new ByteRange(0, 99)), partial("bytes=5000-5099,0-99", SIZE));
        assertEquals(List.of(new ByteRange(0, 99), new ByteRange(5000, 5099), new ByteRange(9900, 9999)),
                partial("bytes=0-99, 5000-5099, -100", SIZE));
    }

    @Test
    void overlappingRangesAreCoalescedInAscendingOrder() {
        assertEquals(List.of(new ByteRange(0, 199), new ByteRange(5000, 5099)),
                partial("bytes=5000-5099,100-199,0-150", SIZE));
        assertEquals(List.of(new ByteRange(0, 9999)), partial("bytes=0-,0-,0-,-10000", SIZE));
    }

    @Test
    void adjacentRangesAreCoalesced() {
        assertEquals(List.of(new ByteRange(0, 199)), ByteRanges.evaluate("bytes=0-99,100-199", SIZE,
                new RangeLimits(16, 0)) instanceof Outcome.Partial p ? p.ranges() : null);
    }

    @Test
    void rangesCloserThanTheGapAreCoalescedAndFartherOnesAreNot() {
        // gap of exactly 80 bytes (100..179): merged; gap of 81 bytes: kept apart
        assertEquals(List.of(new ByteRange(0, 279)), partial("bytes=0-99,180-279", SIZE));
        assertEquals(List.of(new ByteRange(0, 99), new ByteRange(181, 280)), partial("bytes=0-99,181-280", SIZE));
    }

    @Test
    void manyTinyRangesCollapseIntoOne() {
        StringBuilder h = new StringBuilder("bytes=");
        for (int i = 0; i < 2000; i += 2) {
            h.append(i).append('-').append(i).append(',');
        }
        assertEquals(List.of(new ByteRange(0, 1998)), partial(h.toString(), SIZE));
    }

    @Test
    void moreRangesThanTheCapAfterCoalescingServeTheWholeFile() {
        StringBuilder h = new StringBuilder("bytes=");
        for (int i = 0; i < 17; i++) {
            h.append(i * 500).append('-').append(i * 500 + 9).append(',');
        }
        Outcome o = eval(h.toString());
        assertInstanceOf(Outcome.Whole.class, o);
        // exactly the cap is served
        String sixteen = h.substring(0, h.lastIndexOf(",", h.length() - 2) + 1);
        assertEquals(16, partial(sixteen, SIZE).size());
    }

    @Test
    void totalBytesNeverExceedTheFileLength() {
        List<ByteRange> ranges = partial("bytes=0-,0-,0-,-10000,5-9999,0-9999", SIZE);
        long total = 0;
        for (ByteRange r : ranges) {
            total += r.length();
        }
        assertEquals(SIZE, total);
    }

    @Test
    void reversedRangesInBulkAreSortedAndMerged() {
        List<String> specs = new ArrayList<>();
        for (int i = 99; i >= 0; i--) {
            specs.add((i * 100) + "-" + (i * 100 + 99));
        }
        assertEquals(List.of(new ByteRange(0, 9999)), partial("bytes=" + String.join(",", specs), SIZE));
    }

    @Test
    void digitsSaturateInsteadOfOverflowing() {
        assertEquals(Long.MAX_VALUE, ByteRanges.digits("9223372036854775808"));
        assertEquals(Long.MAX_VALUE, ByteRanges.digits("99999999999999999999999999999999999999"));
        assertEquals(Long.MAX_VALUE - 1, ByteRanges.digits("9223372036854775806"));
        assertEquals(-1, ByteRanges.digits("-1"));
        assertEquals(-1, ByteRanges.digits(""));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> ByteRanges.evaluate("bytes=0-1", -1, RangeLimits.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> new RangeLimits(0, 80));
        assertThrows(IllegalArgumentException.class, () -> new RangeLimits(1, -1));
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(5, 4));
        assertThrows(IllegalArgumentException.class, () -> new ByteRange(-1, 4));
    }

    @Test
    void contentRangeNamesTheRangeAndTheSize() {
        assertEquals("bytes 0-99/10000", new ByteRange(0, 99).contentRange(10_000));
        assertEquals(100, new ByteRange(0, 99).length());
    }
}
