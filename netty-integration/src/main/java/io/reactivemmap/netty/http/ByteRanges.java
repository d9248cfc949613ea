package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Parses and evaluates a {@code Range} header against a representation's size (RFC 9110 §14.1–§14.2).
 *
 * <p>Grammar: {@code bytes=} followed by a comma-separated list of {@code first-last}, {@code first-} or
 * {@code -suffix}, with optional whitespace around the commas and empty list elements ignored. The unit is
 * case-insensitive. Anything else — another unit, a missing {@code =}, a non-digit, {@code last < first} — makes the
 * whole header invalid, and RFC 9110 tells the server to ignore an invalid {@code Range}: the outcome is
 * {@link Outcome.Whole} and the response a {@code 200}.
 *
 * <p>Numbers never overflow into errors: digits beyond {@code Long.MAX_VALUE} saturate, which gives the answer the
 * RFC gives for "very large" — a {@code first} that large is past any end (unsatisfiable), a {@code last} that large
 * is clamped to the end, a suffix that large means the whole representation. {@code bytes=0-18446744073709551615} is
 * therefore a {@code 206} of the whole file, never a {@code 500}.
 */
public final class ByteRanges {
    private ByteRanges() {
    }

    /** What to do with a {@code Range} header. */
    public sealed interface Outcome {
        /** Serve the whole representation with {@code 200}; {@code reason} says why the header was not used. */
        record Whole(String reason) implements Outcome {
        }

        /** Serve these ranges with {@code 206}: one range as a plain body, several as {@code multipart/byteranges}. */
        record Partial(List<ByteRange> ranges) implements Outcome {
            /** Copies {@code ranges}, which must not be empty. */
            public Partial {
                ranges = List.copyOf(ranges);
                if (ranges.isEmpty()) {
                    throw new IllegalArgumentException("a partial response needs at least one range");
                }
            }
        }

        /** No range overlaps the representation: {@code 416} with {@code Content-Range: bytes *}{@code /size}. */
        record Unsatisfiable() implements Outcome {
        }
    }

    /**
     * Evaluates {@code header} (the value of {@code Range}, or {@code null} if absent) for a representation of
     * {@code size} bytes.
     */
    public static Outcome evaluate(@Nullable String header, long size, RangeLimits limits) {
        Objects.requireNonNull(limits, "limits");
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0 (got " + size + ")");
        }
        if (header == null) {
            return new Outcome.Whole("no Range header");
        }
        List<long[]> specs = parse(header);
        if (specs == null) {
            return new Outcome.Whole("invalid Range header ignored (RFC 9110 §14.2)");
        }
        List<ByteRange> satisfiable = new ArrayList<>(specs.size());
        for (long[] spec : specs) {
            ByteRange r = resolve(spec[0], spec[1], size);
            if (r != null) {
                satisfiable.add(r);
            }
        }
        if (satisfiable.isEmpty()) {
            return new Outcome.Unsatisfiable();
        }
        List<ByteRange> ranges = coalesce(satisfiable, limits.coalesceGap());
        if (ranges.size() > limits.maxRanges()) {
            // RFC 9110 §17.15: a server ought to ignore, coalesce or reject egregious range requests. Ignoring is the
            // choice every client copes with, and serving the whole representation costs no more than a plain GET;
            // a 416 would claim "no range overlaps", which is false here.
            return new Outcome.Whole("more than " + limits.maxRanges() + " ranges after coalescing (" + ranges.size() + ")");
        }
        return new Outcome.Partial(ranges);
    }

    /** Spec pairs {@code {first, last}} with -1 for an absent number, or {@code null} if the header is invalid. */
    private static @Nullable List<long[]> parse(String header) {
        int eq = header.indexOf('=');
        if (eq < 0 || !header.substring(0, eq).equalsIgnoreCase("bytes")) {
            return null; // another unit, or not a ranges-specifier at all
        }
        List<long[]> specs = new ArrayList<>();
        int i = eq + 1;
        int n = header.length();
        while (i <= n) {
            int comma = header.indexOf(',', i);
            int end = comma < 0 ? n : comma;
            String element = trimOws(header, i, end);
            if (!element.isEmpty()) { // RFC 9110 §5.6.1: recipients accept (and ignore) empty list elements
                long[] spec = parseSpec(element);
                if (spec == null) {
                    return null;
                }
                specs.add(spec);
            }
            if (comma < 0) {
                break;
            }
            i = comma + 1;
        }
        return specs.isEmpty() ? null : specs;
    }

    private static String trimOws(String s, int from, int to) {
        while (from < to && isOws(s.charAt(from))) {
            from++;
        }
        while (to > from && isOws(s.charAt(to - 1))) {
            to--;
        }
        return s.substring(from, to);
    }

    private static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    private static long @Nullable [] parseSpec(String spec) {
        int dash = spec.indexOf('-');
        if (dash < 0 || spec.indexOf('-', dash + 1) >= 0) {
            return null;
        }
        String first = spec.substring(0, dash);
        String last = spec.substring(dash + 1);
        if (first.isEmpty()) {
            long suffix = digits(last);
            return suffix < 0 ? null : new long[] {-1, suffix};
        }
        long f = digits(first);
        if (f < 0) {
            return null;
        }
        if (last.isEmpty()) {
            return new long[] {f, -1};
        }
        long l = digits(last);
        if (l < 0 || l < f) {
            return null; // RFC 9110 §14.1.1: last-pos below first-pos makes the range-spec invalid
        }
        return new long[] {f, l};
    }

    /** 1*DIGIT as a long, saturating at {@code Long.MAX_VALUE}; -1 if empty or not all ASCII digits. */
    static long digits(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            int d = c - '0';
            v = v > (Long.MAX_VALUE - d) / 10 ? Long.MAX_VALUE : v * 10 + d;
        }
        return v;
    }

    private static @Nullable ByteRange resolve(long first, long last, long size) {
        if (first < 0) { // suffix-range: the last `last` bytes; zero bytes is unsatisfiable
            long suffix = last;
            if (suffix == 0 || size == 0) {
                return null;
            }
            return new ByteRange(size - Math.min(suffix, size), size - 1);
        }
        if (first >= size) {
            return null;
        }
        long end = last < 0 ? size - 1 : Math.min(last, size - 1);
        return new ByteRange(first, end);
    }

    /**
     * Merges overlapping and adjacent ranges and ranges at most {@code gap} bytes apart. When nothing needs merging the
     * client's order is kept (RFC 9110 §14.6 asks for it); otherwise the result is in ascending order, which the RFC
     * allows for coalesced ranges and which also defeats out-of-order range abuse (§17.15).
     */
    static List<ByteRange> coalesce(List<ByteRange> ranges, long gap) {
        if (ranges.size() < 2) {
            return ranges;
        }
        List<ByteRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(ByteRange::first).thenComparingLong(ByteRange::last));
        List<ByteRange> merged = new ArrayList<>(sorted.size());
        ByteRange current = sorted.get(0);
        for (int i = 1; i < sorted.size(); i++) {
            ByteRange next = sorted.get(i);
            // next.first - current.last - 1 is the gap in bytes; written this way it cannot overflow (both are < size)
            if (next.first() - current.last() - 1 <= gap) {
                current = new ByteRange(current.first(), Math.max(current.last(), next.last()));
            } else {
                merged.add(current);
                current = next;
            }
        }
        merged.add(current);
        return merged.size() == ranges.size() ? ranges : merged;
    }
}
