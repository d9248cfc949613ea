package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CacheRulesTest {
    private static final String HASHED = "**/*.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].*";
    private static final Instant DATE = Instant.parse("2026-01-02T03:04:05.678Z");

    @Test
    void noneSendsNothing() {
        assertEquals(Optional.empty(), CacheRules.NONE.cacheControlFor("a.txt"));
        assertFalse(CacheRules.NONE.expires());
        assertTrue(CacheRules.NONE.rules().isEmpty());
        assertEquals(CacheRules.NONE, CacheRules.builder().build());
        HttpHeaders h = new DefaultHttpHeaders();
        CacheRules.NONE.apply(h, "a.txt", DATE);
        assertTrue(h.isEmpty());
    }

    @Test
    void rulesWithoutADefaultLeaveOtherPathsWithoutHeader() {
        CacheRules rules = CacheRules.builder().rule("assets/**", "max-age=60").build();
        assertEquals(Optional.of("max-age=60"), rules.cacheControlFor("assets/a/b.css"));
        assertEquals(Optional.empty(), rules.cacheControlFor("index.html"));
        assertEquals(Optional.empty(), rules.cacheControlFor("assets"), "assets/** needs a name below assets");
    }

    @Test
    void theFirstMatchingRuleWinsThenTheDefault() {
        CacheRules rules = CacheRules.builder()
                .defaultCacheControl("no-cache")
                .rule("assets/private/**", "private, no-store")
                .rule("assets/**", "public, max-age=31536000, immutable")
                .rule(HASHED, "public, max-age=31536000, immutable")
                .rule("*.html", "max-age=0, must-revalidate")
                .build();
        assertEquals(Optional.of("private, no-store"), rules.cacheControlFor("assets/private/x.js"));
        assertEquals(Optional.of("public, max-age=31536000, immutable"), rules.cacheControlFor("assets/app.js"));
        assertEquals(Optional.of("public, max-age=31536000, immutable"), rules.cacheControlFor("js/app.3f9a0c1d.js"));
        assertEquals(Optional.of("no-cache"), rules.cacheControlFor("app.3f9a0c1d.js"), "**/ needs a directory");
        assertEquals(Optional.of("no-cache"), rules.cacheControlFor("js/app.3f9a0c1.js"), "seven hex digits");
        assertEquals(Optional.of("max-age=0, must-revalidate"), rules.cacheControlFor("index.html"));
        assertEquals(Optional.of("no-cache"), rules.cacheControlFor("docs/index.html"), "* stays within one name");
        assertEquals(Optional.of("no-cache"), rules.cacheControlFor("data.bin"));
        assertEquals(4, rules.rules().size());
        assertEquals("assets/private/**", rules.rules().getFirst().glob());
        assertTrue(rules.rules().get(1).matches("assets/x"));
    }

    @Test
    void expiresIsDatePlusMaxAgeOnlyWhenAskedAndPresent() {
        CacheRules rules = CacheRules.builder().defaultCacheControl("no-cache").rule("a/**", "public, MAX-AGE=3600")
                .rule("b/**", "max-age=\"120\"").expires(true).build();
        HttpHeaders h = new DefaultHttpHeaders();
        rules.apply(h, "a/x", DATE);
        assertEquals("public, MAX-AGE=3600", h.get("Cache-Control"));
        assertEquals("Fri, 02 Jan 2026 03:04:05 GMT", h.get("Date"), "to the second");
        assertEquals("Fri, 02 Jan 2026 04:04:05 GMT", h.get("Expires"));

        HttpHeaders quoted = new DefaultHttpHeaders();
        rules.apply(quoted, "b/x", DATE);
        assertEquals("Fri, 02 Jan 2026 03:06:05 GMT", quoted.get("Expires"));

        HttpHeaders noMaxAge = new DefaultHttpHeaders();
        rules.apply(noMaxAge, "c", DATE);
        assertEquals("no-cache", noMaxAge.get("Cache-Control"));
        assertNull(noMaxAge.get("Expires"));
        assertNull(noMaxAge.get("Date"), "the front end dates it");

        HttpHeaders off = new DefaultHttpHeaders();
        rules.toBuilder().expires(false).build().apply(off, "a/x", DATE);
        assertEquals("public, MAX-AGE=3600", off.get("Cache-Control"));
        assertNull(off.get("Expires"));
        assertNull(off.get("Date"));
    }

    @Test
    void maxAgeParsing() {
        assertEquals(OptionalLong.of(0), CacheRules.maxAge("max-age=0"));
        assertEquals(OptionalLong.of(31536000), CacheRules.maxAge("public, max-age=31536000, immutable"));
        assertEquals(OptionalLong.empty(), CacheRules.maxAge("s-maxage=60, no-cache"));
        assertEquals(OptionalLong.empty(), CacheRules.maxAge("max-age=x"));
        assertEquals(Instant.parse("9999-12-31T23:59:59Z"), CacheRules.expiresAt("max-age=99999999999999999999999", DATE));
        assertNull(CacheRules.expiresAt("no-store", DATE));
    }

    @Test
    void badValuesAndGlobsAreRefusedByName() {
        for (String bad : new String[]{"", "  ", "a,,b", "max-age=", "no cache", "a=\"open", ",", "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CacheRules.builder().defaultCacheControl(bad), bad);
            assertTrue(e.getMessage().contains("not a Cache-Control value") && e.getMessage().contains(bad.strip()),
                    e.getMessage());
        }
        IllegalArgumentException crlf = assertThrows(IllegalArgumentException.class,
                () -> CacheRules.builder().rule("a", "no-cache\r\nSet-Cookie: x=1"));
        assertTrue(crlf.getMessage().contains("control character") && crlf.getMessage().contains("Set-Cookie"),
                crlf.getMessage());
        IllegalArgumentException glob = assertThrows(IllegalArgumentException.class,
                () -> CacheRules.builder().rule("assets/[a-", "no-cache"));
        assertTrue(glob.getMessage().startsWith("not a glob: \"assets/[a-\""), glob.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CacheRules.builder().rule("", "no-cache"));
        assertThrows(IllegalArgumentException.class, () -> CacheRules.builder().rule("{a,b", "no-cache"));
        assertEquals(Optional.of("no-cache"), CacheRules.builder().defaultCacheControl(" no-cache ").build()
                .defaultCacheControl(), "stripped");
        assertEquals(Optional.of("no-cache=\"Set-Cookie, X\", private"), CacheRules.builder()
                .defaultCacheControl("no-cache=\"Set-Cookie, X\", private").build().defaultCacheControl());
    }

    @Test
    void equalsHashCodeAndToString() {
        CacheRules a = CacheRules.builder().defaultCacheControl("no-cache").rule("a/**", "max-age=1").expires(true).build();
        CacheRules b = CacheRules.builder().defaultCacheControl("no-cache").rule("a/**", "max-age=1").expires(true).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, a.toBuilder().expires(false).build());
        assertNotEquals(a, a.toBuilder().rule("b", "max-age=2").build());
        assertEquals("CacheRules[default=no-cache, rules=[a/**=max-age=1], expires=true]", a.toString());
    }
}
