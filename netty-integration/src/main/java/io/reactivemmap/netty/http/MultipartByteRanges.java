package io.reactivemmap.netty.http;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The framing of a {@code multipart/byteranges} body (RFC 9110 §14.6): for each range a delimiter line and part
 * headers ({@code Content-Type}, {@code Content-Range}), then the range's bytes, and a closing delimiter. The framing
 * is computed up front, so the exact {@code Content-Length} is known before the first byte is sent, and the file
 * bytes in between can still go out zero-copy.
 *
 * <p>The boundary is 32 random hex digits from a {@link SecureRandom}: a file cannot be crafted to contain it.
 */
public final class MultipartByteRanges {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String boundary;
    private final List<BodyPart> parts;
    private final long contentLength;

    private MultipartByteRanges(String boundary, List<BodyPart> parts) {
        this.boundary = boundary;
        this.parts = List.copyOf(parts);
        long total = 0;
        for (BodyPart p : parts) {
            total = Math.addExact(total, p.length());
        }
        this.contentLength = total;
    }

    /** Framing for {@code ranges} of a representation of {@code size} bytes and type {@code contentType}. */
    public static MultipartByteRanges of(List<ByteRange> ranges, long size, String contentType) {
        byte[] random = new byte[16];
        RANDOM.nextBytes(random);
        return of(ranges, size, contentType, HexFormat.of().formatHex(random));
    }

    static MultipartByteRanges of(List<ByteRange> ranges, long size, String contentType, String boundary) {
        Objects.requireNonNull(contentType, "contentType");
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("multipart/byteranges needs at least one range");
        }
        List<BodyPart> parts = new ArrayList<>(ranges.size() * 2 + 1);
        for (ByteRange r : ranges) {
            if (r.last() >= size) {
                throw new IllegalArgumentException(r + " lies past the end of a representation of " + size + " bytes");
            }
            // The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1), so the body starts with one
            // and the preamble is empty.
            String head = "\r\n--" + boundary + "\r\nContent-Type: " + contentType + "\r\nContent-Range: "
                    + r.contentRange(size) + "\r\n\r\n";
            parts.add(new BodyPart.Bytes(head.getBytes(StandardCharsets.US_ASCII)));
            parts.add(new BodyPart.FileRange(r.first(), r.length()));
        }
        parts.add(new BodyPart.Bytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII)));
        return new MultipartByteRanges(boundary, parts);
    }

    /** The boundary string (without the leading dashes). */
    public String boundary() {
        return boundary;
    }

    /** The {@code Content-Type} of the whole response. */
    public String contentType() {
        return "multipart/byteranges; boundary=" + boundary;
    }

    /** Framing bytes and file ranges, in order. */
    public List<BodyPart> parts() {
        return parts;
    }

    /** The exact body length. */
    public long contentLength() {
        return contentLength;
    }
}
