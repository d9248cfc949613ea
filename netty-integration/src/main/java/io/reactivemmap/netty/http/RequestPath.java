package io.reactivemmap.netty.http;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A request target turned into path segments, decoded exactly once and checked, with no file system access.
 *
 * <p>Rules, each against a known way static servers were escaped (path traversal reports against real servers):
 * <ul>
 *   <li>origin-form ({@code /a/b?q}) or absolute-form with an {@code http}/{@code https} scheme (only its path is
 *       used: this server has one site); anything else — authority-form, {@code *}, other schemes — is rejected;</li>
 *   <li>the query is dropped; a fragment ({@code #}, never valid in a request) is rejected;</li>
 *   <li>only visible ASCII is accepted raw (the request line arrives as bytes; nothing is ever cast from
 *       {@code char} to {@code byte});</li>
 *   <li>percent-escapes are decoded once, to bytes, and the bytes are decoded as strict UTF-8: invalid or
 *       overlong sequences ({@code %c0%ae}) are rejected, so nothing can become a {@code .} or {@code /} later;
 *       {@code %25} yields a literal {@code %} that is never decoded again ({@code %252e%252e} names a file called
 *       {@code %2e%2e});</li>
 *   <li>encoded separators ({@code %2f}, {@code %5c}), backslashes, NUL and all control characters are rejected;</li>
 *   <li>empty and {@code .} segments are dropped, {@code ..} segments are rejected (not resolved);</li>
 *   <li>a segment longer than 255 bytes, or more than 128 segments, is rejected.</li>
 * </ul>
 * Unicode look-alikes of {@code .} and {@code /} (U+2024, U+FF0E, U+2215, U+FF0F) are not normalised: they are
 * ordinary file-name characters and can only name files literally so called.
 *
 * @param segments the decoded, non-empty path segments, none {@code .} or {@code ..}
 * @param trailingSlash whether the path ended in {@code /}
 */
public record RequestPath(List<String> segments, boolean trailingSlash) {
    static final int MAX_SEGMENT_BYTES = 255;
    static final int MAX_SEGMENTS = 128;

    /** Copies {@code segments}. */
    public RequestPath {
        segments = List.copyOf(segments);
    }

    /** Why a request target was refused; the server answers {@code 400}. */
    public static final class InvalidPathException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidPathException(String message) {
            super(message, null, false, false);
        }
    }

    /** Whether any segment starts with a dot (a "hidden" file or directory, such as {@code .git} or {@code .env}). */
    public boolean hasHiddenSegment() {
        for (String s : segments) {
            if (s.startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses a request target as it appears in the request line.
     *
     * @throws InvalidPathException if the target is not a path that may be served; its message says why
     */
    public static RequestPath parse(String target) throws InvalidPathException {
        Objects.requireNonNull(target, "target");
        String path = target;
        if (!path.startsWith("/")) {
            String lower = path.toLowerCase(Locale.ROOT);
            int schemeEnd = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
            if (schemeEnd < 0) {
                throw new InvalidPathException("request target must be origin-form (/path) or an http(s) URL");
            }
            int slash = path.indexOf('/', schemeEnd);
            int query = path.indexOf('?', schemeEnd);
            if (slash < 0 || (query >= 0 && query < slash)) {
                path = "/" + (query >= 0 ? path.substring(query) : "");
            } else {
                path = path.substring(slash);
            }
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                throw new InvalidPathException("request target contains a character outside visible ASCII at index " + i);
            }
            if (c == '#') {
                throw new InvalidPathException("request target contains a fragment ('#')");
            }
            if (c == '\\') {
                throw new InvalidPathException("request target contains a backslash");
            }
        }
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        List<String> segments = new ArrayList<>();
        int start = 1;
        while (start <= path.length()) {
            int slash = path.indexOf('/', start);
            int end = slash < 0 ? path.length() : slash;
            String segment = decodeSegment(path.substring(start, end));
            if (segment.equals("..")) {
                throw new InvalidPathException("request path contains a '..' segment");
            }
            if (!segment.isEmpty() && !segment.equals(".")) {
                if (segments.size() == MAX_SEGMENTS) {
                    throw new InvalidPathException("request path has more than " + MAX_SEGMENTS + " segments");
                }
                segments.add(segment);
            }
            if (slash < 0) {
                break;
            }
            start = slash + 1;
        }
        boolean trailingSlash = path.endsWith("/") && path.length() > 1;
        return new RequestPath(segments, trailingSlash);
    }

    private static String decodeSegment(String raw) throws InvalidPathException {
        if (raw.indexOf('%') < 0) {
            checkSegment(raw, raw.length());
            return raw;
        }
        ByteBuffer bytes = ByteBuffer.allocate(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new InvalidPathException("truncated percent-escape in request path");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new InvalidPathException("invalid percent-escape in request path");
                }
                int b = (hi << 4) | lo;
                if (b == '/' || b == '\\') {
                    throw new InvalidPathException("request path contains an encoded separator (%2F or %5C)");
                }
                bytes.put((byte) b);
                i += 2;
            } else {
                bytes.put((byte) c); // c is visible ASCII (checked above): this conversion is exact
            }
        }
        bytes.flip();
        int byteLength = bytes.remaining();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        String decoded;
        try {
            CharBuffer chars = utf8.decode(bytes);
            decoded = chars.toString();
        } catch (CharacterCodingException e) {
            throw new InvalidPathException("request path is not valid UTF-8 after percent-decoding");
        }
        checkSegment(decoded, byteLength);
        return decoded;
    }

    private static void checkSegment(String segment, int byteLength) throws InvalidPathException {
        if (byteLength > MAX_SEGMENT_BYTES) {
            throw new InvalidPathException("a request path segment is longer than " + MAX_SEGMENT_BYTES + " bytes");
        }
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) {
                throw new InvalidPathException("request path contains a control character (U+"
                        + String.format("%04X", (int) c) + ")");
            }
            if (c == '\\' || c == '/') {
                throw new InvalidPathException("request path contains an encoded separator");
            }
        }
    }
}
