package io.reactivemmap.netty.http;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP/1.x message rules every front end applies to a request before planning its response, so that the file
 * server, the Reactor Netty route and the WebFlux handler answer the same malformed request the same way:
 * <ul>
 *   <li>a major version other than 1 in the request line ({@code HTTP/9.9}, {@code HTTP/2.0}, {@code HTTP/0.9}) gets
 *       {@code 505 HTTP Version Not Supported} (RFC 9110 §15.6.6): HTTP/2 is spoken by ALPN or prior knowledge, never
 *       announced in an HTTP/1 request line; a higher minor version ({@code HTTP/1.2}) is served as HTTP/1.1
 *       (RFC 9110 §2.5);</li>
 *   <li>an HTTP/1.1 request without a {@code Host} header, any request with more than one, or a {@code Host} whose
 *       value is not {@code host[:port]} gets {@code 400} (RFC 9112 §3.2). HTTP/1.0 may omit it.</li>
 * </ul>
 * Where a request breaks a rule, the answer closes the connection: the rest of what the client sent cannot be trusted
 * to be framed the way this server reads it.
 */
public final class RequestRules {
    private RequestRules() {
    }

    /**
     * A broken rule.
     *
     * @param status the HTTP status to answer with (505 or 400)
     * @param message what was wrong and what to send instead, for the response body and the log
     */
    public record Violation(int status, String message) {
    }

    /**
     * Checks an HTTP/1.x request.
     *
     * @param major the request line's major version
     * @param minor its minor version
     * @param hosts every value of the request's {@code Host} header lines, in order (empty when there is none)
     * @return the first rule the request breaks, or empty
     */
    public static Optional<Violation> checkHttp1(int major, int minor, List<String> hosts) {
        Objects.requireNonNull(hosts, "hosts");
        if (major != 1) {
            return Optional.of(new Violation(505, "HTTP/" + major + "." + minor + " is not supported: send HTTP/1.1 "
                    + "(or HTTP/1.0) in the request line; HTTP/2 is negotiated by ALPN or prior knowledge"));
        }
        if (hosts.size() > 1) {
            return Optional.of(new Violation(400, "the request has " + hosts.size() + " Host headers: send exactly one"));
        }
        if (hosts.isEmpty()) {
            return minor >= 1 ? Optional.of(new Violation(400, "an HTTP/1.1 request needs a Host header")) : Optional.empty();
        }
        String host = hosts.get(0);
        if (!validHost(host)) {
            return Optional.of(new Violation(400, "the Host header is not host[:port]: " + printable(host)));
        }
        return Optional.empty();
    }

    /**
     * {@code uri-host [ ":" port ]} of RFC 9112 §3.2 (RFC 3986 §3.2.2): an empty value (allowed), a bracketed IP
     * literal, or a registered name or IPv4 address of unreserved, sub-delim and percent characters; then an optional
     * port of digits.
     */
    static boolean validHost(String host) {
        int i = 0;
        int n = host.length();
        if (n == 0) {
            return true;
        }
        if (host.charAt(0) == '[') {
            int close = host.indexOf(']');
            if (close < 0) {
                return false;
            }
            for (int j = 1; j < close; j++) {
                char c = host.charAt(j);
                if (!(isHex(c) || c == ':' || c == '.' || c == 'v' || c == 'V' || unreserved(c) || subDelim(c))) {
                    return false;
                }
            }
            i = close + 1;
        } else {
            while (i < n && host.charAt(i) != ':') {
                char c = host.charAt(i);
                if (!(unreserved(c) || subDelim(c) || c == '%')) {
                    return false;
                }
                i++;
            }
        }
        if (i == n) {
            return true;
        }
        if (host.charAt(i) != ':') {
            return false;
        }
        for (int j = i + 1; j < n; j++) {
            if (host.charAt(j) < '0' || host.charAt(j) > '9') {
                return false;
            }
        }
        return n - (i + 1) <= 5;
    }

    private static boolean unreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
                || c == '~';
    }

    private static boolean subDelim(char c) {
        return "!$&'()*+,;=".indexOf(c) >= 0;
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    /** {@code s} quoted, with anything outside visible ASCII escaped, and cut to 100 characters: safe for a log line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length() && i < 100; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        return b.append(s.length() > 100 ? "\"..." : "\"").toString();
    }
}
