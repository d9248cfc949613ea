package io.reactivemmap.netty.http;

/**
 * A satisfiable byte range of a representation: bytes {@code first} to {@code last}, both inclusive, as in
 * {@code Content-Range: bytes first-last/size}.
 *
 * @param first offset of the first byte, {@code >= 0}
 * @param last offset of the last byte, {@code >= first}
 */
public record ByteRange(long first, long last) {
    /** Checks {@code 0 <= first <= last}. */
    public ByteRange {
        if (first < 0 || last < first) {
            throw new IllegalArgumentException("not a byte range: " + first + "-" + last + " (expected: 0 <= first <= last)");
        }
    }

    /** Number of bytes in the range: {@code last - first + 1}. */
    public long length() {
        return last - first + 1;
    }

    /** The {@code Content-Range} value for this range of a representation of {@code size} bytes. */
    public String contentRange(long size) {
        return "bytes " + first + "-" + last + "/" + size;
    }
}
