package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http2.Http2Headers;
import org.jspecify.annotations.Nullable;

import java.util.Map;

/**
 * What makes an HTTP/2 request malformed (RFC 9113 §8.1.1: a stream error of type {@code PROTOCOL_ERROR}) beyond what
 * Netty's codec already rejects with the options {@link Http2Server} sets. The codec, with header validation on,
 * rejects (as stream errors, before the request reaches a handler) an unknown, repeated or empty pseudo-header, a
 * pseudo-header after a regular field, request and response pseudo-headers mixed, an upper-case or empty name, the
 * connection-specific fields ({@code connection}, {@code keep-alive}, {@code proxy-connection},
 * {@code transfer-encoding}, {@code upgrade}) and {@code te} other than {@code trailers}; with the required
 * pseudo-headers checked, a request without {@code :method}, or without {@code :scheme} or a non-empty {@code :path}
 * (except CONNECT), or a CONNECT without {@code :authority}. This class checks the rest:
 * <ul>
 * <li>a CONNECT with {@code :scheme} or {@code :path} (§8.5), {@code :protocol} at all (extended CONNECT, RFC 8441, is
 *     not offered: the server never sends {@code SETTINGS_ENABLE_CONNECT_PROTOCOL});</li>
 * <li>{@code :path} that is neither an absolute path (starting with {@code /}) nor {@code *} in an OPTIONS request
 *     (§8.3.1);</li>
 * <li>field names with characters 0x00-0x20, 0x7f-0xff or a colon past the first character (§8.2.1; Netty checks only
 *     upper case);</li>
 * <li>field values with NUL, CR or LF, or starting or ending with a space or tab (§8.2.1; Netty does not check values
 *     by default);</li>
 * <li>a {@code host} field that differs from {@code :authority} (§8.3.1, a SHOULD).</li>
 * </ul>
 * A well-formed CONNECT is not malformed: the handler answers it with 405, like any method but GET and HEAD.
 */
final class Http2RequestHeaders {
    private Http2RequestHeaders() {
    }

    /** Why {@code headers} are a malformed request, or {@code null} if they are not (as far as this class checks). */
    static @Nullable String malformed(Http2Headers headers) {
        CharSequence method = headers.method();
        if (headers.contains(Http2Headers.PseudoHeaderName.PROTOCOL.value())) {
            return ":protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL";
        }
        if (method != null && "CONNECT".contentEquals(method)) {
            if (headers.scheme() != null || headers.path() != null) {
                return "CONNECT with :scheme or :path";
            }
        } else {
            CharSequence path = headers.path();
            if (path != null && path.length() > 0 && path.charAt(0) != '/'
                    && !("*".contentEquals(path) && method != null && "OPTIONS".contentEquals(method))) {
                return ":path " + path + " is neither an absolute path nor * in an OPTIONS request";
            }
        }
        for (Map.Entry<CharSequence, CharSequence> field : headers) {
            CharSequence name = field.getKey();
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c <= 0x20 || c >= 0x7f || (c == ':' && i > 0)) {
                    return "the field name " + name + " has the character 0x" + Integer.toHexString(c);
                }
            }
            CharSequence value = field.getValue();
            int n = value.length();
            if (n > 0 && (isWhitespace(value.charAt(0)) || isWhitespace(value.charAt(n - 1)))) {
                return "the value of " + name + " starts or ends with whitespace";
            }
            for (int i = 0; i < n; i++) {
                char c = value.charAt(i);
                if (c == 0 || c == '\r' || c == '\n') {
                    return "the value of " + name + " has the character 0x" + Integer.toHexString(c);
                }
            }
        }
        CharSequence authority = headers.authority();
        CharSequence host = headers.get(HttpHeaderNames.HOST);
        if (authority != null && host != null && !authority.toString().equalsIgnoreCase(host.toString())) {
            return "host " + host + " differs from :authority " + authority;
        }
        return null;
    }

    private static boolean isWhitespace(char c) {
        return c == ' ' || c == '\t';
    }
}
