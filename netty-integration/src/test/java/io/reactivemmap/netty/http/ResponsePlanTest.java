package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResponsePlanTest {
    static final Representation REP = PreconditionsTest.REP;
    static final Instant NOW = PreconditionsTest.NOW;

    private static ResponsePlan plan(HttpMethod m, String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return ResponsePlan.plan(m, h, REP, RangeLimits.DEFAULT, NOW);
    }

    @Test
    void aPlainGetIsTheWholeFileWithValidators() {
        ResponsePlan p = plan(HttpMethod.GET);
        assertEquals(HttpResponseStatus.OK, p.status());
        assertEquals("1000", p.headers().get("Content-Length"));
        assertEquals("bytes", p.headers().get("Accept-Ranges"));
        assertEquals("\"abc-3e8-1\"", p.headers().get("ETag"));
        assertEquals(PreconditionsTest.LM, p.headers().get("Last-Modified"));
        assertEquals("text/plain", p.headers().get("Content-Type"));
        assertEquals(List.of(new BodyPart.FileRange(0, 1000)), p.body());
    }

    @Test
    void headHasTheHeadersOfGetAndNoBodyAndIgnoresRanges() {
        ResponsePlan p = plan(HttpMethod.HEAD, "Range", "bytes=0-9");
        assertEquals(HttpResponseStatus.OK, p.status());
        assertEquals("1000", p.headers().get("Content-Length"));
        assertTrue(p.body().isEmpty());
    }

    @Test
    void aSingleRangeIs206WithContentRange() {
        ResponsePlan p = plan(HttpMethod.GET, "Range", "bytes=10-19");
        assertEquals(HttpResponseStatus.PARTIAL_CONTENT, p.status());
        assertEquals("bytes 10-19/1000", p.headers().get("Content-Range"));
        assertEquals("10", p.headers().get("Content-Length"));
        assertEquals(List.of(new BodyPart.FileRange(10, 10)), p.body());
    }

    @Test
    void unsatisfiableIs416WithTheSize() {
        ResponsePlan p = plan(HttpMethod.GET, "Range", "bytes=1000-");
        assertEquals(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, p.status());
        assertEquals("bytes */1000", p.headers().get("Content-Range"));
        assertTrue(p.body().isEmpty());
    }

    @Test
    void aStaleIfRangeServesTheWholeFile() {
        assertEquals(HttpResponseStatus.OK, plan(HttpMethod.GET, "Range", "bytes=0-9", "If-Range", "\"old\"").status());
        assertEquals(HttpResponseStatus.PARTIAL_CONTENT,
                plan(HttpMethod.GET, "Range", "bytes=0-9", "If-Range", "\"abc-3e8-1\"").status());
    }

    @Test
    void notModifiedHasValidatorsAndNoBody() {
        ResponsePlan p = plan(HttpMethod.GET, "If-None-Match", "\"abc-3e8-1\"", "Range", "bytes=0-9");
        assertEquals(HttpResponseStatus.NOT_MODIFIED, p.status());
        assertEquals("\"abc-3e8-1\"", p.headers().get("ETag"));
        assertNull(p.headers().get("Content-Length"));
        assertTrue(p.body().isEmpty());
    }

    @Test
    void preconditionFailedIs412() {
        assertEquals(HttpResponseStatus.PRECONDITION_FAILED, plan(HttpMethod.GET, "If-Match", "\"x\"").status());
    }

    @Test
    void onlyGetAndHeadArePlanned() {
        assertThrows(IllegalArgumentException.class, () -> plan(HttpMethod.POST));
    }

    @Test
    void multipartLengthIsExactAndPartsCarryTheirHeaders() {
        ResponsePlan p = plan(HttpMethod.GET, "Range", "bytes=0-9,500-509,-5");
        assertEquals(HttpResponseStatus.PARTIAL_CONTENT, p.status());
        String type = p.headers().get("Content-Type");
        assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
        String boundary = type.substring(type.indexOf('=') + 1);
        byte[] file = new byte[1000];
        for (int i = 0; i < file.length; i++) {
            file[i] = (byte) ('a' + i % 26);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (BodyPart part : p.body()) {
            switch (part) {
                case BodyPart.Bytes b -> body.writeBytes(b.bytes());
                case BodyPart.FileRange r -> body.write(file, (int) r.offset(), (int) r.length());
            }
        }
        assertEquals(Long.parseLong(p.headers().get("Content-Length")), body.size());
        String expected = "\r\n--" + boundary + "\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-9/1000\r\n\r\n"
                + new String(file, 0, 10, StandardCharsets.US_ASCII)
                + "\r\n--" + boundary + "\r\nContent-Type: text/plain\r\nContent-Range: bytes 500-509/1000\r\n\r\n"
                + new String(file, 500, 10, StandardCharsets.US_ASCII)
                + "\r\n--" + boundary + "\r\nContent-Type: text/plain\r\nContent-Range: bytes 995-999/1000\r\n\r\n"
                + new String(file, 995, 5, StandardCharsets.US_ASCII)
                + "\r\n--" + boundary + "--\r\n";
        assertEquals(expected, body.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void boundariesAreRandom() {
        List<ByteRange> r = List.of(new ByteRange(0, 0), new ByteRange(5, 5));
        MultipartByteRanges a = MultipartByteRanges.of(r, 10, "text/plain");
        MultipartByteRanges b = MultipartByteRanges.of(r, 10, "text/plain");
        assertNotEquals(a.boundary(), b.boundary());
        assertEquals(32, a.boundary().length());
        assertThrows(IllegalArgumentException.class, () -> MultipartByteRanges.of(List.of(new ByteRange(0, 10)), 10, "x"));
    }

    @Test
    void etagIsModificationTimeInNanosecondsAndSizeSoCopiesThatKeepTheTimeAgree(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("a.txt");
        Files.writeString(f, "hello");
        Representation r1 = Representation.of(f);
        assertEquals("text/plain; charset=utf-8", r1.contentType());
        assertEquals(5, r1.size());
        assertFalse(r1.etag().weak());
        assertEquals(r1, Representation.of(f), "stable while unchanged");
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2020-01-01T00:00:00.123Z")));
        Representation r2 = Representation.of(f);
        assertNotEquals(r1.etag(), r2.etag());
        assertEquals(Instant.parse("2020-01-01T00:00:00Z"), r2.lastModified());
        Path g = dir.resolve("b.txt");
        Files.writeString(g, "hello");
        Files.setLastModifiedTime(g, FileTime.from(Instant.parse("2020-01-01T00:00:00.123Z")));
        Files.move(g, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(r2.etag(), Representation.of(f).etag(), "another file of the same size and mtime: the same tag");
        assertEquals("\"" + Long.toHexString(1_577_836_800_123_000_000L) + "-5\"", r2.etag().toString(),
                "nanoseconds since the epoch, then the size, in hex: nothing of the inode");
        Path copy = Files.copy(f, dir.resolve("replica.txt"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        assertEquals(Representation.of(f).etag(), Representation.of(copy).etag(), "a copy that kept its mtime agrees");
        Files.writeString(f, "hello!");
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2020-01-01T00:00:00.123Z")));
        assertNotEquals(r2.etag(), Representation.of(f).etag(), "another size with the same mtime is a new tag");
        Files.setLastModifiedTime(copy, FileTime.from(Instant.parse("2020-01-01T00:00:00.123000001Z")));
        assertNotEquals(r2.etag(), Representation.of(copy).etag(), "one nanosecond later is a new tag");
    }

    @Test
    void contentTypesByExtension() {
        assertEquals("text/html; charset=utf-8", ContentTypes.forFileName("index.HTML"));
        assertEquals("application/json; charset=utf-8", ContentTypes.forFileName("a.json"));
        assertEquals("video/mp4", ContentTypes.forFileName("movie.mp4"));
        assertEquals("application/gzip", ContentTypes.forFileName("x.tar.gz"));
        assertEquals(ContentTypes.DEFAULT, ContentTypes.forFileName("README"));
        assertEquals(ContentTypes.DEFAULT, ContentTypes.forFileName("weird."));
        assertEquals(ContentTypes.DEFAULT, ContentTypes.forFileName("x.unknownext"));
    }
}
