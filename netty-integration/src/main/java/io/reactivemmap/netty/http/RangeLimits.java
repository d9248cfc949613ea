package io.reactivemmap.netty.http;

/**
 * Limits that keep a {@code Range} header from turning one request into an expensive one (RFC 9110 §17.15).
 *
 * @param maxRanges the most ranges served in one {@code multipart/byteranges} response, counted after coalescing;
 *                  a request asking for more gets the whole representation ({@code 200}) instead, which costs no more
 *                  than a plain {@code GET}
 * @param coalesceGap ranges at most this many bytes apart (and overlapping or adjacent ones) are served as one part: a gap smaller than a
 *                    part's own framing is cheaper to send than to skip, and overlap would send bytes twice
 */
public record RangeLimits(int maxRanges, long coalesceGap) {
    /** At most 16 parts; ranges up to 80 bytes apart (about one part header) are merged. */
    public static final RangeLimits DEFAULT = new RangeLimits(16, 80);

    /** Checks {@code maxRanges >= 1} and {@code coalesceGap >= 0}. */
    public RangeLimits {
        if (maxRanges < 1) {
            throw new IllegalArgumentException("maxRanges must be >= 1 (got " + maxRanges + ")");
        }
        if (coalesceGap < 0) {
            throw new IllegalArgumentException("coalesceGap must be >= 0 (got " + coalesceGap + ")");
        }
    }
}
