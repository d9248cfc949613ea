package io.reactivemmap.records;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The obvious split of a byte array, written independently of the implementation: the oracle the property tests
 * compare {@code MappedRecords} with.
 */
final class ReferenceSplit {
    private ReferenceSplit() {
    }

    /**
     * @param offset   the file offset of {@code bytes[0]} (for ranges)
     * @param windowSize the window size the stream uses: {@code copy} is whether the record's first byte and its
     *                   delimiter (or, for a last record, its last byte) fall in different windows
     */
    record Rec(long index, long offset, byte[] bytes, boolean copy) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Rec r && r.index == index && r.offset == offset && Arrays.equals(r.bytes, bytes) && r.copy == copy;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(offset) * 31 + Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            for (byte b : bytes) {
                sb.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff));
            }
            return "#" + index + "@" + offset + "[" + sb + "]" + (copy ? "copy" : "");
        }
    }

    static List<Rec> split(byte[] bytes, long offset, byte delimiter, boolean stripCr, int windowSize) {
        List<Rec> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            boolean atDelimiter = i < bytes.length && bytes[i] == delimiter;
            boolean atEnd = i == bytes.length && start < bytes.length;
            if (!atDelimiter && !atEnd) {
                continue;
            }
            int end = i;
            if (stripCr && end > start && bytes[end - 1] == '\r') {
                end--;
            }
            // The position that decides the window the record is cut in: its delimiter, or its last byte.
            int decidingByte = atDelimiter ? i : bytes.length - 1;
            boolean copy = end > start && start / windowSize != decidingByte / windowSize;
            out.add(new Rec(out.size(), offset + start, Arrays.copyOfRange(bytes, start, end), copy));
            start = i + 1;
        }
        return out;
    }
}
