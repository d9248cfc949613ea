package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;

/**
 * What an operator needs to know of one answered request: who asked, when, what, over which protocol, the status, how
 * much body was planned and how much went out, where the client came from and what it is, how long it took and how it
 * ended. Every front end (the Netty {@link FileServer} over HTTP/1.1 and HTTP/2, {@code FileRoute},
 * {@code MappedFileHandler}) hands exactly one of these to its {@link AccessLog} per request it answers, once the
 * response has ended (see {@link FileExchange.FileResponse#complete}).
 *
 * <p>The method, target, referer and user agent are stored {@linkplain #printable(String) printable} and fit for a
 * quoted field: control and C1 characters, {@code "} and {@code \} are escaped, and each is cut at 512 characters, so a request cannot forge a log
 * line or break a quoted field (a target or a user agent carrying CR LF, quotes or 10 KB stays one line, cut).
 *
 * <h2>The line</h2>
 * {@link #line()} is the one format of the access log, whatever the sink: nginx's {@code combined} format, then the
 * protocol, the duration and, for a response that did not complete, its outcome:
 * <pre>
 * $remote_addr - - [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $protocol $seconds [aborted|failed]
 * 127.0.0.1 - - [04/Dec/2026:19:22:05 +0000] "GET /a.txt HTTP/1.1" 200 1234 "-" "curl/8.5.0" HTTP/1.1 0.002
 * </pre>
 * <ul>
 *   <li>{@code $remote_addr}: the client's IP address, without the port; {@code -} when not known;</li>
 *   <li>{@code -} {@code -}: the ident and user fields of the common log format, never known here;</li>
 *   <li>{@code $time_local}: when the request arrived, {@code dd/MMM/yyyy:HH:mm:ss Z} in English in the JVM's default
 *   time zone;</li>
 *   <li>{@code $request}: method, target (as received, still percent-encoded) and protocol; the protocol is left out
 *   when not known;</li>
 *   <li>{@code $status}; {@code $body_bytes_sent}: the body bytes sent ({@link #sentBytes()}), {@code -} when not
 *   known;</li>
 *   <li>{@code $http_referer}, {@code $http_user_agent}: the request's fields, {@code -} when absent or empty;</li>
 *   <li>{@code $protocol}: {@code HTTP/1.1}, {@code HTTP/1.0}, {@code HTTP/2} or {@code -};</li>
 *   <li>{@code $seconds}: the duration in seconds with milliseconds ({@code 0.002});</li>
 *   <li>{@code aborted} or {@code failed} (see {@link Outcome}) as a last field when the response did not complete;
 *   nothing for a complete one.</li>
 * </ul>
 * Inside the quoted fields, as nginx writes them, {@code "} is {@code \x22}, {@code \} is {@code \x5C} and control
 * characters are {@code \xNN}; a {@code \} already followed by {@code x} and two hex digits is kept as it is (so the
 * escaping is idempotent), where nginx would escape it.
 *
 * @param remoteAddress the client's address, or {@code null} when the front end does not know it
 * @param time when the request arrived (the wall clock, as far as the front end saw it)
 * @param method the request method, printable
 * @param target the request target as received (still percent-encoded), printable and cut at 512 characters
 * @param protocol {@code "HTTP/1.1"}, {@code "HTTP/1.0"}, {@code "HTTP/2"}, or {@code "-"} when the front end cannot
 *                 tell (WebFlux on a server other than Reactor Netty)
 * @param status the status code sent (or that was to be sent, when the connection ended first)
 * @param plannedBytes the body bytes the response was to carry ({@code Content-Length}; 0 for {@code HEAD}, 204, 304)
 * @param sentBytes the body bytes sent: {@code plannedBytes} for a complete response; for one that ended early, the
 *                  body bytes the socket took as the {@link FileServer} counts them: over HTTP/1.1, what the
 *                  connection's socket took since the response started (the count behind the
 *                  {@code reactivemmap.server.sent} meter) less the response head, so under TLS it includes the
 *                  records' overhead (under 0.2 %) and a buffer the socket is part-way through counts as not sent;
 *                  over HTTP/2, the payload of the stream's DATA frames the socket took. {@code -1} when not known: a
 *                  body that ended early on {@code FileRoute} or {@code MappedFileHandler}, whose Reactor Netty and
 *                  WebFlux writes complete or fail as a whole and never say how much of them went out
 * @param referer the request's {@code Referer}, printable and cut at 512 characters; {@code "-"} when absent or empty
 * @param userAgent the request's {@code User-Agent}, printable and cut at 512 characters; {@code "-"} when absent or
 *                  empty
 * @param duration from the request's arrival (as the front end saw it) to the end of its response
 * @param outcome how the response ended
 */
public record AccessLogRecord(@Nullable SocketAddress remoteAddress, Instant time, String method, String target,
                              String protocol, int status, long plannedBytes, long sentBytes, String referer,
                              String userAgent, Duration duration, Outcome outcome) {
    /** {@code $time_local}: the common log format's time, in English, in the JVM's default time zone. */
    private static final DateTimeFormatter TIME_LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z",
            Locale.ENGLISH).withZone(ZoneId.systemDefault());
    /** How many characters of a request's value the record keeps before it cuts. */
    private static final int MAX_CHARS = 512;

    /** How a response ended. */
    public enum Outcome {
        /** The whole response was written. */
        COMPLETE,
        /**
         * The connection (or HTTP/2 stream) was closed before the response was written: the client went away, reset
         * the stream, or was disconnected (idle or slow-client timeout).
         */
        ABORTED,
        /**
         * The server could not complete the response: the file was truncated or failed to read while it was sent, or
         * the body could not start. The client sees the connection close (HTTP/1.1) or the stream reset (HTTP/2) short
         * of {@code Content-Length}.
         */
        FAILED;

        /**
         * How a response whose write failed with {@code cause} ended: {@link #FAILED} if the file was truncated
         * ({@link io.reactivemmap.FileTruncatedException} or {@link java.io.EOFException} anywhere in the cause chain)
         * or the connection is still open (the body writer gave up: a read error), else {@link #ABORTED} (the
         * connection or stream was closed under the write: Netty closes a channel before it fails its pending writes).
         */
        public static Outcome ofFailure(@Nullable Throwable cause, boolean connectionOpen) {
            for (Throwable t = cause; t != null; t = t.getCause()) {
                if (t instanceof io.reactivemmap.FileTruncatedException || t instanceof java.io.EOFException) {
                    return FAILED;
                }
                if (t.getCause() == t) {
                    break;
                }
            }
            return connectionOpen ? FAILED : ABORTED;
        }
    }

    /**
     * Makes {@code method}, {@code target}, {@code referer} and {@code userAgent} printable and fit for a quoted field
     * (see the class comment; an empty referer or user agent becomes {@code "-"}); requires the rest but the address.
     */
    public AccessLogRecord {
        Objects.requireNonNull(time, "time");
        method = escaped(method, true);
        target = escaped(target, true);
        referer = referer == null || referer.isEmpty() ? "-" : escaped(referer, true);
        userAgent = userAgent == null || userAgent.isEmpty() ? "-" : escaped(userAgent, true);
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
    }

    /**
     * This record as one line of the access log, in the format of the class comment ({@code combined} plus protocol,
     * duration and outcome), without a line separator:
     * {@code 127.0.0.1 - - [04/Dec/2026:19:22:05 +0000] "GET /a.txt HTTP/1.1" 200 1234 "-" "curl/8.5.0" HTTP/1.1 0.002}.
     * Every sink writes this line: {@link AccessLog#SYSTEM_LOGGER} and {@link AccessLogWriter}.
     */
    public String line() {
        long millis = duration.toMillis();
        StringBuilder b = new StringBuilder(128 + target.length() + userAgent.length() + referer.length());
        b.append(address(remoteAddress)).append(" - - [").append(TIME_LOCAL.format(time)).append("] \"")
                .append(method).append(' ').append(target);
        if (!"-".equals(protocol)) {
            b.append(' ').append(protocol);
        }
        b.append("\" ").append(status).append(' ').append(sentBytes < 0 ? "-" : Long.toString(sentBytes))
                .append(" \"").append(referer).append("\" \"").append(userAgent).append("\" ").append(protocol)
                .append(' ').append(millis / 1000).append('.');
        long ms = millis % 1000;
        b.append(ms < 10 ? "00" : ms < 100 ? "0" : "").append(ms);
        switch (outcome) {
            case COMPLETE -> { }
            case ABORTED -> b.append(" aborted");
            case FAILED -> b.append(" failed");
        }
        return b.toString();
    }

    /** {@code $remote_addr}: the IP address without the port (IPv6 without brackets, as nginx), or {@code -}. */
    private static String address(@Nullable SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() != null ? inet.getAddress().getHostAddress() : printable(inet.getHostString());
        }
        return "-";
    }

    /**
     * {@code s} fit for a log line: control characters (C0, DEL, C1) escaped as {@code \xNN}, cut at 512 characters
     * (then {@code ...} is appended); {@code "-"} for null. Idempotent on strings of up to 512 characters: a printable
     * string comes back unchanged. The record's fields are this and more ({@code "} and {@code \} escaped too, see
     * the class comment), so that they can be quoted.
     */
    public static String printable(@Nullable String s) {
        return escaped(s, false);
    }

    /** {@link #printable}, and for a quoted field of the line also {@code "} and a backslash that starts no escape. */
    private static String escaped(@Nullable String s, boolean quoted) {
        if (s == null) {
            return "-";
        }
        int n = Math.min(s.length(), MAX_CHARS);
        StringBuilder b = new StringBuilder(n + 16);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)
                    || (quoted && (c == '"' || (c == '\\' && !escape(s, i))))) {
                b.append("\\x").append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
            } else {
                b.append(c);
            }
        }
        return s.length() > MAX_CHARS ? b.append("...").toString() : b.toString();
    }

    /** Whether the backslash at {@code i} starts an escape: {@code x} and two hex digits follow it. */
    private static boolean escape(String s, int i) {
        return i + 3 < s.length() && s.charAt(i + 1) == 'x' && Character.digit(s.charAt(i + 2), 16) >= 0
                && Character.digit(s.charAt(i + 3), 16) >= 0;
    }
}
