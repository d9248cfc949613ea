package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listing's pieces: escaping, link encoding, order, the cap, the tag and its conditionals. */
class DirectoryListingTest {
    @TempDir
    Path dir;

    @Test
    void escapeReplacesTheFiveMarkupCharactersAndNothingElse() {
        assertEquals("&lt;img src=x onerror=alert(1)&gt;", DirectoryListing.escape("<img src=x onerror=alert(1)>"));
        assertEquals("a&amp;b &quot;q&quot; it&#39;s", DirectoryListing.escape("a&b \"q\" it's"));
        String plain = "plain h\u00e9llo \u2603";
        assertSame(plain, DirectoryListing.escape(plain), "nothing to escape: the same string");
    }

    @Test
    void hrefSegmentKeepsOnlyUnreservedCharactersAndEncodesUtf8Bytes() {
        assertEquals("100%25.bin", DirectoryListing.hrefSegment("100%.bin"));
        assertEquals("%23frag%3F.txt", DirectoryListing.hrefSegment("#frag?.txt"));
        assertEquals("a%3Ab", DirectoryListing.hrefSegment("a:b"));
        assertEquals("A-z_0.9~", DirectoryListing.hrefSegment("A-z_0.9~"));
        assertEquals("caf%C3%A9%20%F0%9F%98%80", DirectoryListing.hrefSegment("caf\u00e9 \uD83D\uDE00"));
        assertEquals("%2F%5C%26%22%27%3C%3E%2B", DirectoryListing.hrefSegment("/\\&\"'<>+"));
    }

    @Test
    void onlyNamesARequestCanNameAreNameable() {
        for (String name : List.of("a b", "100%.bin", "#?", "caf\u00e9", "..a", "a.", "x".repeat(255))) {
            assertTrue(DirectoryListing.nameable(name), name);
        }
        for (String name : List.of("back\\slash", "new\nline", "tab\t", "del\u007f", "x".repeat(256), "\u00e9".repeat(128))) {
            assertFalse(DirectoryListing.nameable(name), name);
        }
    }

    @Test
    void codePointOrderIsUtf8ByteOrderNotUtf16Order() {
        List<String> names = new ArrayList<>(List.of("\uD83D\uDE00", "\uFF21", "b", "B", "a", "ab", ""));
        names.sort(DirectoryListing::compareCodePoints);
        assertEquals(List.of("", "B", "a", "ab", "b", "\uFF21", "\uD83D\uDE00"), names);
    }

    @Test
    void readListsDirectoriesFirstAndTruncatesAtTheCapWithAVisibleLine() throws Exception {
        Files.createDirectories(dir.resolve("z-dir"));
        for (String name : List.of("c.txt", "a.txt", "b.txt", ".hidden")) {
            Files.writeString(dir.resolve(name), name);
        }
        Files.setLastModifiedTime(dir.resolve("a.txt"), FileTime.from(Instant.parse("2024-05-01T10:00:00Z")));
        RootDirectory root = RootDirectory.of(dir, false, false);

        DirectoryListing.Listing all = DirectoryListing.read(root, root.path(), 10);
        assertFalse(all.truncated());
        assertEquals(List.of("z-dir", "a.txt", "b.txt", "c.txt"), all.entries().stream().map(DirectoryListing.Entry::name).toList());
        String html = new String(DirectoryListing.html("/", false, all, 10), StandardCharsets.UTF_8);
        assertTrue(html.contains("<a href=\"a.txt\">a.txt</a></td><td class=\"size\">5</td><td>2024-05-01 10:00:00</td>"), html);
        assertTrue(html.contains("<a href=\"z-dir/\">z-dir/</a></td><td class=\"size\">-</td>"), html);
        assertFalse(html.contains("../"), "no parent at the root");
        assertFalse(html.contains("truncated"), html);

        DirectoryListing.Listing capped = DirectoryListing.read(root, root.path(), 2);
        assertTrue(capped.truncated());
        assertEquals(2, capped.entries().size());
        String cappedHtml = new String(DirectoryListing.html("/", true, capped, 2), StandardCharsets.UTF_8);
        assertTrue(cappedHtml.contains("<p>Listing truncated: only 2 entries are shown.</p>"), cappedHtml);
        assertTrue(cappedHtml.contains("<a href=\"../\">../</a>"), cappedHtml);

        // Refused names count against the scan bound: 5 entries read at most for a cap of 1 (SCAN_FACTOR 4), and
        // the listing says so rather than reading on.
        for (int i = 0; i < 8; i++) {
            Files.writeString(dir.resolve(".h" + i), "hidden");
        }
        DirectoryListing.Listing scanned = DirectoryListing.read(root, root.path(), 1);
        assertTrue(scanned.truncated());
        assertTrue(scanned.entries().size() <= 1);
    }

    @Test
    void theTagIsWeakAndFollowsTheBytesAndItsConditionalsCompareAsRfc9110Says() {
        byte[] page = "<p>a</p>".getBytes(StandardCharsets.UTF_8);
        EntityTag tag = DirectoryListing.etag(page);
        assertTrue(tag.weak());
        assertEquals(tag, DirectoryListing.etag(page.clone()));
        assertNotEquals(tag, DirectoryListing.etag("<p>b</p>".getBytes(StandardCharsets.UTF_8)));

        assertEquals(Preconditions.Verdict.PROCEED, DirectoryListing.evaluate(headers(), tag));
        assertEquals(Preconditions.Verdict.NOT_MODIFIED, DirectoryListing.evaluate(headers("If-None-Match", tag.toString()), tag));
        assertEquals(Preconditions.Verdict.NOT_MODIFIED,
                DirectoryListing.evaluate(headers("If-None-Match", "\"x\", \"" + tag.opaque() + "\""), tag));
        assertEquals(Preconditions.Verdict.NOT_MODIFIED, DirectoryListing.evaluate(headers("If-None-Match", "*"), tag));
        assertEquals(Preconditions.Verdict.PROCEED, DirectoryListing.evaluate(headers("If-None-Match", "W/\"x\""), tag));
        assertEquals(Preconditions.Verdict.PROCEED, DirectoryListing.evaluate(headers("If-None-Match", "garbage"), tag));
        assertEquals(Preconditions.Verdict.PRECONDITION_FAILED,
                DirectoryListing.evaluate(headers("If-Match", tag.toString()), tag));
        assertEquals(Preconditions.Verdict.PROCEED, DirectoryListing.evaluate(headers("If-Match", "*"), tag));
    }

    private static HttpHeaders headers(String... nameValue) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValue.length; i += 2) {
            h.add(nameValue[i], nameValue[i + 1]);
        }
        return h;
    }
}
