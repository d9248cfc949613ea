package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Conditional requests (RFC 9110 §13) for a {@code GET} or {@code HEAD} of a file, evaluated in the order of
 * §13.2.2: {@code If-Match}, else {@code If-Unmodified-Since} (failing either: {@code 412}); {@code If-None-Match},
 * else {@code If-Modified-Since} (matching: {@code 304}); then {@code If-Range}, which only decides whether
 * {@code Range} is honoured.
 */
public final class Preconditions {
    private Preconditions() {
    }

    /** The verdict before ranges are looked at. */
    public enum Verdict {
        /** Serve the representation (200 or 206). */
        PROCEED,
        /** {@code 304 Not Modified}. */
        NOT_MODIFIED,
        /** {@code 412 Precondition Failed}. */
        PRECONDITION_FAILED
    }

    /**
     * A list-valued field sent as several lines is one list (RFC 9110 §5.3): {@code If-None-Match: "a"} plus
     * {@code If-None-Match: "b"} means {@code "a", "b"}. Reading only the first line would miss a match in the second.
     */
    private static @org.jspecify.annotations.Nullable String list(HttpHeaders headers, CharSequence name) {
        java.util.List<String> lines = headers.getAll(name);
        return lines.isEmpty() ? null : String.join(", ", lines);
    }

    /**
     * What the request's conditional header fields ask for, given the file's current {@code rep}.
     *
     * @param now the server's clock, to ignore {@code If-Modified-Since} dates in the future (RFC 9110 §13.1.3)
     */
    public static Verdict evaluate(HttpHeaders headers, Representation rep, Instant now) {
        Objects.requireNonNull(headers, "headers");
        Objects.requireNonNull(rep, "rep");
        String ifMatch = list(headers, HttpHeaderNames.IF_MATCH);
        if (ifMatch != null) {
            if (!matches(ifMatch, rep.etag(), true)) {
                return Verdict.PRECONDITION_FAILED;
            }
        } else {
            Instant ius = date(headers.get(HttpHeaderNames.IF_UNMODIFIED_SINCE));
            if (ius != null && rep.lastModified().isAfter(ius)) {
                return Verdict.PRECONDITION_FAILED;
            }
        }
        String ifNoneMatch = list(headers, HttpHeaderNames.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            // for GET and HEAD a match means "you already have it": 304, not 412 (§13.1.2)
            return matches(ifNoneMatch, rep.etag(), false) ? Verdict.NOT_MODIFIED : Verdict.PROCEED;
        }
        Instant ims = date(headers.get(HttpHeaderNames.IF_MODIFIED_SINCE));
        if (ims != null && !ims.isAfter(now) && !rep.lastModified().isAfter(ims)) {
            return Verdict.NOT_MODIFIED;
        }
        return Verdict.PROCEED;
    }

    /**
     * Whether a {@code Range} may be honoured given {@code If-Range} (RFC 9110 §13.1.5): true when there is no
     * {@code If-Range}, when it is a strong tag strongly matching the current one, or a date exactly equal to
     * {@code Last-Modified}. A weak tag or an unparseable value never matches: the client then gets the whole
     * representation, which is always safe.
     */
    public static boolean rangeApplies(HttpHeaders headers, Representation rep) {
        String ifRange = headers.get(HttpHeaderNames.IF_RANGE);
        if (ifRange == null) {
            return true;
        }
        String v = ifRange.strip();
        if (v.startsWith("\"") || v.startsWith("W/")) {
            EntityTag tag = EntityTag.parse(v);
            return tag != null && tag.strongMatch(rep.etag());
        }
        Instant date = HttpDates.parse(v);
        return date != null && date.equals(rep.lastModified());
    }

    /** {@code *} or a list containing a tag that matches {@code current} (strongly or weakly). */
    private static boolean matches(String header, EntityTag current, boolean strong) {
        if (header.strip().equals("*")) {
            return true; // the file exists, which is all "*" asks
        }
        List<EntityTag> tags = EntityTag.parseList(header);
        if (tags == null) {
            // A malformed list matches nothing: If-Match then fails (412, the safe answer for a precondition) and
            // If-None-Match never yields 304.
            return false;
        }
        for (EntityTag t : tags) {
            if (strong ? t.strongMatch(current) : t.weakMatch(current)) {
                return true;
            }
        }
        return false;
    }

    private static @Nullable Instant date(@Nullable String value) {
        return value == null ? null : HttpDates.parse(value);
    }
}
