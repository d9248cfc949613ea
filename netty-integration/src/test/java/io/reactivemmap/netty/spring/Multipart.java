package io.reactivemmap.netty.spring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** A strict parser of {@code multipart/byteranges} bodies (RFC 9110 §14.6, RFC 2046 §5.1.1) for tests. */
public final class Multipart {
    private Multipart() {
    }

    public record Part(Map<String, String> headers, long first, long last, long size, byte[] bytes) {
    }

    public static String boundary(String contentType) {
        assertTrue(contentType.startsWith("multipart/byteranges; boundary="), contentType);
        return contentType.substring("multipart/byteranges; boundary=".length());
    }

    /** Parses {@code body}; each part's length is taken from its {@code Content-Range}, and every byte is accounted for. */
    public static List<Part> parse(byte[] body, String boundary) {
        byte[] delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII);
        List<Part> parts = new ArrayList<>();
        int i = 0;
        while (true) {
            expect(body, i, delimiter);
            i += delimiter.length;
            if (body[i] == '-' && body[i + 1] == '-') {
                expect(body, i, "--\r\n".getBytes(StandardCharsets.US_ASCII));
                assertEquals(body.length, i + 4, "bytes after the closing delimiter");
                return parts;
            }
            expect(body, i, "\r\n".getBytes(StandardCharsets.US_ASCII));
            i += 2;
            Map<String, String> headers = new LinkedHashMap<>();
            while (!(body[i] == '\r' && body[i + 1] == '\n')) {
                int eol = indexOf(body, i, (byte) '\r');
                String line = new String(body, i, eol - i, StandardCharsets.US_ASCII);
                int colon = line.indexOf(':');
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
                i = eol + 2;
            }
            i += 2;
            String range = headers.get("content-range");
            if (range == null || !range.startsWith("bytes ")) {
                fail("part without a bytes Content-Range: " + headers);
            }
            String[] r = range.substring(6).split("[-/]");
            long first = Long.parseLong(r[0]);
            long last = Long.parseLong(r[1]);
            long size = Long.parseLong(r[2]);
            int n = Math.toIntExact(last - first + 1);
            parts.add(new Part(headers, first, last, size, Arrays.copyOfRange(body, i, i + n)));
            i += n;
        }
    }

    private static void expect(byte[] body, int at, byte[] what) {
        if (at + what.length > body.length || !Arrays.equals(body, at, at + what.length, what, 0, what.length)) {
            fail("expected '" + new String(what, StandardCharsets.US_ASCII).replace("\r\n", "\\r\\n") + "' at " + at);
        }
    }

    private static int indexOf(byte[] b, int from, byte v) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        throw new AssertionError("no line end after " + from);
    }
}
