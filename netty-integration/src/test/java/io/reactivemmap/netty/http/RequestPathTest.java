package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestPathTest {
    /** Targets that must never reach the file system (FIELD-NOTES §4 and more). */
    static final List<String> REJECTED = List.of(
            "/..", "/../etc/passwd", "/a/../../etc/passwd", "/a/..", "/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd",
            "/.%2e/etc/passwd", "/%2e./etc/passwd", "/a/%2e%2e/%2e%2e/etc/passwd",
            "/%2f", "/%2fetc%2fpasswd", "/a%2F..%2F..%2Fetc/passwd", "/%5c..%5c..%5cwindows", "/a%5Cb",
            "/..\\..\\etc\\passwd", "/a\\b", "/%00", "/a%00.txt", "/a%0d%0aSet-Cookie:x", "/%1b[31m", "/%7f", "/%c2%85",
            "/%c0%ae%c0%ae/etc/passwd", "/%c0%af", "/%e0%80%ae", "/%c1%9c", "/%ff", "/%80", "/%e2%82",
            "/%", "/%2", "/%zz", "/a%g0",
            "/a b", "/a\tb", "/\u00e9", "/\u2215etc", "/a#frag", "/a#", "*", "example.com:80", "file:///etc/passwd",
            "ftp://x/a", "etc/passwd", "", "http://evil.example/../../etc/passwd", "https://x/%2e%2e/y",
            "/" + "a".repeat(256), "/" + "%61".repeat(256), "/" + "a/".repeat(129));


    @Test
    void everyTraversalPatternIsRejected() {
        for (String target : REJECTED) {
            assertThrows(RequestPath.InvalidPathException.class, () -> RequestPath.parse(target), target);
        }
    }

    private static List<String> segments(String target) throws Exception {
        return RequestPath.parse(target).segments();
    }

    @Test
    void segmentsAreDecodedExactlyOnce() throws Exception {
        assertEquals(List.of("%2e%2e", "etc"), segments("/%252e%252e/etc"));
        assertEquals(List.of("%2f"), segments("/%252f"));
        assertEquals(List.of("%5c"), segments("/%255c"));
        assertEquals(List.of("a b.txt"), segments("/a%20b.txt"));
        assertEquals(List.of("caf\u00e9"), segments("/caf%C3%A9"));
        assertEquals(List.of("\u6587\u4ef6"), segments("/%E6%96%87%E4%BB%B6"));
    }

    @Test
    void unicodeLookalikesAreOrdinaryCharacters() throws Exception {
        assertEquals(List.of("\u2024\u2024", "etc"), segments("/%E2%80%A4%E2%80%A4/etc"));
        assertEquals(List.of("\uff0e\uff0e\uff0fetc"), segments("/%EF%BC%8E%EF%BC%8E%EF%BC%8Fetc"));
        assertEquals(List.of("a\u2215b"), segments("/a%E2%88%95b"));
        assertEquals(List.of("a\uff3cb"), segments("/a%EF%BC%BCb"));
    }

    @Test
    void emptyAndDotSegmentsAreDropped() throws Exception {
        assertEquals(List.of("a", "b"), segments("//a///./b/."));
        assertEquals(List.of(), segments("/"));
        assertEquals(List.of(), segments("/./././"));
        assertEquals(List.of("a"), segments("/" + "/".repeat(1000) + "a"));
        assertEquals(List.of("a"), segments("/%2e/a"));
    }

    @Test
    void trailingDotsAndSpacesAreKeptLiterally() throws Exception {
        assertEquals(List.of("index.html."), segments("/index.html."));
        assertEquals(List.of("index.html "), segments("/index.html%20"));
        assertEquals(List.of("..."), segments("/..."));
        assertEquals(List.of(".. "), segments("/..%20"));
    }

    @Test
    void queryIsDroppedAndAbsoluteFormUsesOnlyItsPath() throws Exception {
        assertEquals(List.of("a.txt"), segments("/a.txt?x=../../etc/passwd"));
        assertEquals(List.of("a.txt"), segments("http://localhost:8080/a.txt"));
        assertEquals(List.of("a.txt"), segments("HTTPS://other.example/a.txt?q"));
        assertEquals(List.of(), segments("http://localhost:8080"));
        assertEquals(List.of(), segments("http://localhost?/etc/passwd"));
    }

    @Test
    void hiddenSegmentsAndTrailingSlashAreReported() throws Exception {
        assertTrue(RequestPath.parse("/a/.git/config").hasHiddenSegment());
        assertTrue(RequestPath.parse("/.env").hasHiddenSegment());
        assertTrue(RequestPath.parse("/%2eenv").hasHiddenSegment());
        assertFalse(RequestPath.parse("/a/b.c").hasHiddenSegment());
        assertTrue(RequestPath.parse("/dir/").trailingSlash());
        assertFalse(RequestPath.parse("/dir").trailingSlash());
    }

    @Test
    void limitsAreExactlyAtTheirBoundary() throws Exception {
        assertEquals(1, segments("/" + "a".repeat(255)).size());
        assertEquals(128, segments("/" + "a/".repeat(128)).size());
    }
}
