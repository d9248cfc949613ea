package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * What an operator needs to know of one answered request: who asked, what, over which protocol, the status, how much
 * body was planned and how much went out, how long it took and how it ended. Every front end (the Netty
 * {@link FileServer} over HTTP/1.1 and HTTP/2, {@code FileRoute}, {@code MappedFileHandler}) hands exactly one of
 * these to its {@link AccessLog} per request it answers, once the response has ended (see
 * {@link FileExchange.FileResponse#complete}).
 *
 * <p>The method and target are stored {@linkplain #printable(String) printable}: control and C1 characters are
 * escaped, so a request cannot forge a log line (a target carrying CR LF, decoded or not, stays on one line).
 *
 * @param remoteAddress the client's address, or {@code null} when the front end does not know it
 * @param method the request method, printable
 * @param target the request target as received (still percent-encoded), printable and cut at 512 characters
 * @param protocol {@code "HTTP/1.1"}, {@code "HTTP/1.0"}, {@code "HTTP/2"}, or {@code "-"} when the front end cannot
 *                 tell (WebFlux on a server other than Reactor Netty)
 * @param status the status code sent (or that was to be sent, when the connection ended first)
 * @param plannedBytes the body bytes the response was to carry ({@code Content-Length}; 0 for {@code HEAD}, 204, 304)
 * @param sentBytes the body bytes known to be sent: {@code plannedBytes} for a complete response, {@code -1} when a
 *                  body ended early and its writer does not count what went out (every front end today)
 * @param duration from the request's arrival (as the front end saw it) to the end of its response
 * @param outcome how the response ended
 */
public record AccessLogRecord(@Nullable SocketAddress remoteAddress, String method, String target, String protocol,
                              int status, long plannedBytes, long sentBytes, Duration duration, Outcome outcome) {

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

    /** Makes {@code method} and {@code target} printable; requires the rest but the address. */
    public AccessLogRecord {
        method = printable(method);
        target = printable(target);
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(outcome, "outcome");
    }

    /**
     * The line {@link AccessLog#SYSTEM_LOGGER} writes: {@code GET /a.txt 200 1234 0.512ms}; {@code -} for the bytes when
     * not known; {@code h2} after the duration for HTTP/2; {@code aborted} or {@code failed} at the end of a response
     * that did not complete. The address is not part of it (the format predates it); a sink of your own can add it.
     */
    public String line() {
        long micros = duration.toNanos() / 1000;
        return method + " " + target + " " + status + " " + (sentBytes < 0 ? "-" : Long.toString(sentBytes)) + " "
                + (micros / 1000) + "." + String.format("%03d", micros % 1000) + "ms"
                + ("HTTP/2".equals(protocol) ? " h2" : "")
                + switch (outcome) {
                    case COMPLETE -> "";
                    case ABORTED -> " aborted";
                    case FAILED -> " failed";
                };
    }

    /**
     * {@code s} fit for a log line: control characters (C0, DEL, C1) escaped as {@code \xNN}, cut at 512 characters
     * (then {@code ...} is appended); {@code "-"} for null. Idempotent: a printable string comes back unchanged.
     */
    public static String printable(@Nullable String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 512));
        for (int i = 0; i < s.length() && i < 512; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return s.length() > 512 ? b.append("...").toString() : b.toString();
    }
}
