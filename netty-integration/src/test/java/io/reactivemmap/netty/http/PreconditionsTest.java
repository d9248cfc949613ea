package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.reactivemmap.netty.http.Preconditions.Verdict;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PreconditionsTest {
    static final Instant MTIME = Instant.parse("2024-03-01T10:00:00Z");
    static final Instant NOW = Instant.parse("2025-01-01T00:00:00Z");
    static final Representation REP = new Representation(1000, MTIME, EntityTag.strong("abc-3e8-1"), "text/plain");
    static final String LM = HttpDates.format(MTIME);
    static final String BEFORE = HttpDates.format(MTIME.minusSeconds(1));
    static final String AFTER = HttpDates.format(MTIME.plusSeconds(1));

    private static HttpHeaders h(String... nameValues) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < nameValues.length; i += 2) {
            h.add(nameValues[i], nameValues[i + 1]);
        }
        return h;
    }

    private static Verdict eval(String... nameValues) {
        return Preconditions.evaluate(h(nameValues), REP, NOW);
    }

    @Test
    void noConditionsProceed() {
        assertEquals(Verdict.PROCEED, eval());
    }

    @Test
    void ifNoneMatchUsesWeakComparison() {
        assertEquals(Verdict.NOT_MODIFIED, eval("If-None-Match", "\"abc-3e8-1\""));
        assertEquals(Verdict.NOT_MODIFIED, eval("If-None-Match", "W/\"abc-3e8-1\""));
        assertEquals(Verdict.NOT_MODIFIED, eval("If-None-Match", "\"x\", W/\"abc-3e8-1\""));
        assertEquals(Verdict.NOT_MODIFIED, eval("If-None-Match", "*"));
        assertEquals(Verdict.PROCEED, eval("If-None-Match", "\"other\""));
        assertEquals(Verdict.PROCEED, eval("If-None-Match", "abc-3e8-1"), "unquoted is malformed and matches nothing");
    }

    @Test
    void listHeadersSentAsSeveralLinesAreOneList() {
        assertEquals(Verdict.NOT_MODIFIED, eval("If-None-Match", "\"x\"", "If-None-Match", "\"abc-3e8-1\""),
                "a match on the second line counts");
        assertEquals(Verdict.PROCEED, eval("If-Match", "\"x\"", "If-Match", "\"abc-3e8-1\""),
                "If-Match is satisfied by its second line");
        assertEquals(Verdict.PRECONDITION_FAILED, eval("If-Match", "\"x\"", "If-Match", "\"y\""));
    }

    @Test
    void ifModifiedSinceIsIgnoredWhenIfNoneMatchIsPresent() {
        assertEquals(Verdict.PROCEED, eval("If-None-Match", "\"other\"", "If-Modified-Since", LM));
    }

    @Test
    void ifModifiedSinceComparesSeconds() {
        assertEquals(Verdict.NOT_MODIFIED, eval("If-Modified-Since", LM));
        assertEquals(Verdict.NOT_MODIFIED, eval("If-Modified-Since", AFTER));
        assertEquals(Verdict.PROCEED, eval("If-Modified-Since", BEFORE));
        assertEquals(Verdict.PROCEED, eval("If-Modified-Since", "yesterday"), "invalid dates are ignored");
        assertEquals(Verdict.PROCEED, eval("If-Modified-Since", HttpDates.format(NOW.plusSeconds(3600))),
                "dates in the future are ignored");
    }

    @Test
    void ifModifiedSinceAcceptsTheObsoleteDateFormats() {
        assertEquals(Verdict.NOT_MODIFIED, eval("If-Modified-Since", "Friday, 01-Mar-24 10:00:00 GMT"));
        assertEquals(Verdict.NOT_MODIFIED, eval("If-Modified-Since", "Fri Mar  1 10:00:00 2024"));
    }

    @Test
    void ifMatchUsesStrongComparison() {
        assertEquals(Verdict.PROCEED, eval("If-Match", "\"abc-3e8-1\""));
        assertEquals(Verdict.PROCEED, eval("If-Match", "*"));
        assertEquals(Verdict.PRECONDITION_FAILED, eval("If-Match", "W/\"abc-3e8-1\""));
        assertEquals(Verdict.PRECONDITION_FAILED, eval("If-Match", "\"other\""));
        assertEquals(Verdict.PRECONDITION_FAILED, eval("If-Match", "garbage"));
    }

    @Test
    void ifUnmodifiedSinceFailsForNewerFilesAndIsIgnoredUnderIfMatch() {
        assertEquals(Verdict.PRECONDITION_FAILED, eval("If-Unmodified-Since", BEFORE));
        assertEquals(Verdict.PROCEED, eval("If-Unmodified-Since", LM));
        assertEquals(Verdict.PROCEED, eval("If-Unmodified-Since", "not a date"));
        assertEquals(Verdict.PROCEED, eval("If-Match", "\"abc-3e8-1\"", "If-Unmodified-Since", BEFORE));
    }

    @Test
    void ifMatchIsEvaluatedBeforeIfNoneMatch() {
        assertEquals(Verdict.PRECONDITION_FAILED, eval("If-Match", "\"other\"", "If-None-Match", "*"));
        assertEquals(Verdict.NOT_MODIFIED, eval("If-Match", "*", "If-None-Match", "*"));
    }

    @Test
    void ifRangeNeedsAStrongMatchOrTheExactDate() {
        assertTrue(Preconditions.rangeApplies(h(), REP));
        assertTrue(Preconditions.rangeApplies(h("If-Range", "\"abc-3e8-1\""), REP));
        assertFalse(Preconditions.rangeApplies(h("If-Range", "W/\"abc-3e8-1\""), REP));
        assertFalse(Preconditions.rangeApplies(h("If-Range", "\"other\""), REP));
        assertTrue(Preconditions.rangeApplies(h("If-Range", LM), REP));
        assertFalse(Preconditions.rangeApplies(h("If-Range", AFTER), REP));
        assertFalse(Preconditions.rangeApplies(h("If-Range", BEFORE), REP));
        assertFalse(Preconditions.rangeApplies(h("If-Range", "garbage"), REP));
        assertFalse(Preconditions.rangeApplies(h("If-Range", "\"a\", \"abc-3e8-1\""), REP), "a list is not an entity-tag");
    }

    @Test
    void entityTagsParse() {
        assertEquals(EntityTag.strong("x"), EntityTag.parse("\"x\""));
        assertEquals(new EntityTag("x", true), EntityTag.parse("W/\"x\""));
        assertNull(EntityTag.parse("x"));
        assertNull(EntityTag.parse("\"x"));
        assertNull(EntityTag.parse("\"x\" junk"));
        assertNull(EntityTag.parseList("\"a\" \"b\""));
        assertEquals(2, EntityTag.parseList(" \"a\" ,, W/\"b\" ").size());
        assertEquals("W/\"x\"", new EntityTag("x", true).toString());
    }

    @Test
    void datesRoundTripAtSecondPrecision() {
        assertEquals("Fri, 01 Mar 2024 10:00:00 GMT", LM);
        assertEquals(MTIME, HttpDates.parse(LM));
        assertNull(HttpDates.parse("not a date"));
    }
}
