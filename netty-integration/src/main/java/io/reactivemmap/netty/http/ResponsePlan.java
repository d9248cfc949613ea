package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The response to a {@code GET} or {@code HEAD} of a file, decided without touching the network: status, headers and
 * the body as a list of {@link BodyPart}s whose lengths add up to {@code Content-Length}. For {@code HEAD} the headers
 * are those of the {@code GET} and the body is empty.
 *
 * @param status 200, 206, 304, 412 or 416
 * @param headers the response headers (without {@code Connection}, {@code Date} or {@code Server})
 * @param body what to send; empty for {@code HEAD}, 304, 412 and 416
 * @param ranges the ranges served by a 206 (empty otherwise), for logging and tests
 */
public record ResponsePlan(HttpResponseStatus status, HttpHeaders headers, List<BodyPart> body, List<ByteRange> ranges) {
    /** Checks that {@code status} and {@code headers} are not null, and copies the lists. */
    public ResponsePlan {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(headers, "headers");
        body = List.copyOf(body);
        ranges = List.copyOf(ranges);
    }

    /** Bytes of body to send (0 for {@code HEAD}). */
    public long bodyLength() {
        long n = 0;
        for (BodyPart p : body) {
            n += p.length();
        }
        return n;
    }

    /**
     * Plans the response to {@code method} ({@code GET} or {@code HEAD}) with request {@code headers} for the file
     * described by {@code rep}.
     */
    public static ResponsePlan plan(HttpMethod method, HttpHeaders requestHeaders, Representation rep, RangeLimits limits,
                                    Instant now) {
        Objects.requireNonNull(method, "method");
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
            throw new IllegalArgumentException("only GET and HEAD are planned here (got " + method + ")");
        }
        boolean head = method.equals(HttpMethod.HEAD);
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        h.set(HttpHeaderNames.ETAG, rep.etag().toString());
        h.set(HttpHeaderNames.LAST_MODIFIED, HttpDates.format(rep.lastModified()));

        switch (Preconditions.evaluate(requestHeaders, rep, now)) {
            case NOT_MODIFIED -> {
                return new ResponsePlan(HttpResponseStatus.NOT_MODIFIED, h, List.of(), List.of());
            }
            case PRECONDITION_FAILED -> {
                h.set(HttpHeaderNames.CONTENT_LENGTH, 0);
                return new ResponsePlan(HttpResponseStatus.PRECONDITION_FAILED, h, List.of(), List.of());
            }
            case PROCEED -> {
                // fall through to ranges
            }
        }

        String range = requestHeaders.get(HttpHeaderNames.RANGE);
        // Ranges only apply to GET (RFC 9110 §14.2); a HEAD answers as the plain GET would.
        ByteRanges.Outcome outcome = range != null && !head && Preconditions.rangeApplies(requestHeaders, rep)
                ? ByteRanges.evaluate(range, rep.size(), limits)
                : new ByteRanges.Outcome.Whole("no applicable Range");
        return switch (outcome) {
            case ByteRanges.Outcome.Unsatisfiable u -> {
                h.set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + rep.size());
                h.set(HttpHeaderNames.CONTENT_LENGTH, 0);
                yield new ResponsePlan(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, h, List.of(), List.of());
            }
            case ByteRanges.Outcome.Whole w -> {
                h.set(HttpHeaderNames.CONTENT_TYPE, rep.contentType());
                h.set(HttpHeaderNames.CONTENT_LENGTH, rep.size());
                List<BodyPart> body = head || rep.size() == 0 ? List.of() : List.of(new BodyPart.FileRange(0, rep.size()));
                yield new ResponsePlan(HttpResponseStatus.OK, h, body, List.of());
            }
            case ByteRanges.Outcome.Partial p when p.ranges().size() == 1 -> {
                ByteRange r = p.ranges().get(0);
                h.set(HttpHeaderNames.CONTENT_TYPE, rep.contentType());
                h.set(HttpHeaderNames.CONTENT_RANGE, r.contentRange(rep.size()));
                h.set(HttpHeaderNames.CONTENT_LENGTH, r.length());
                yield new ResponsePlan(HttpResponseStatus.PARTIAL_CONTENT, h,
                        List.of(new BodyPart.FileRange(r.first(), r.length())), p.ranges());
            }
            case ByteRanges.Outcome.Partial p -> {
                MultipartByteRanges multipart = MultipartByteRanges.of(p.ranges(), rep.size(), rep.contentType());
                h.set(HttpHeaderNames.CONTENT_TYPE, multipart.contentType());
                h.set(HttpHeaderNames.CONTENT_LENGTH, multipart.contentLength());
                yield new ResponsePlan(HttpResponseStatus.PARTIAL_CONTENT, h, multipart.parts(), p.ranges());
            }
        };
    }
}
