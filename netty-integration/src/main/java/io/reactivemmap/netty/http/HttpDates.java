package io.reactivemmap.netty.http;

import io.netty.handler.codec.DateFormatter;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Date;

/** HTTP-date (RFC 9110 §5.6.7) formatting and parsing, at the one-second precision HTTP dates have. */
public final class HttpDates {
    private record Cached(long epochSecond, String text) {
    }

    private static volatile Cached now = new Cached(Long.MIN_VALUE, "");

    private HttpDates() {
    }

    /**
     * The current time as an IMF-fixdate for a {@code Date} header: formatted once per second and shared by every
     * response in that second (formatting goes through a calendar, a measurable cost per small response).
     */
    public static String now() {
        long second = System.currentTimeMillis() / 1000;
        Cached c = now;
        if (c.epochSecond() != second) {
            c = new Cached(second, format(Instant.ofEpochSecond(second)));
            now = c;
        }
        return c.text();
    }

    /** IMF-fixdate, e.g. {@code Sun, 06 Nov 1994 08:49:37 GMT}. */
    public static String format(Instant instant) {
        return DateFormatter.format(Date.from(instant));
    }

    /**
     * Any of the three formats a recipient must accept (IMF-fixdate, RFC 850, asctime), or {@code null} if
     * {@code value} is none of them (an invalid date makes the conditional header be ignored).
     */
    public static @Nullable Instant parse(String value) {
        Date d = DateFormatter.parseHttpDate(value);
        return d == null ? null : d.toInstant();
    }
}
