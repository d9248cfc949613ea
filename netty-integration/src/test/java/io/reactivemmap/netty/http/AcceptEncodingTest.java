package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link AcceptEncoding} and the choice {@link Precompressed#preference} makes from it, when both siblings exist. */
class AcceptEncodingTest {

    /** The coding served for {@code header} when both {@code name.br} and {@code name.gz} exist. */
    private static String chosen(AcceptEncoding accepted) {
        List<Precompressed.Coding> order = Precompressed.preference(accepted);
        return order.isEmpty() ? "identity" : order.get(0).token;
    }

    static Stream<Arguments> table() {
        return Stream.of(
                // what browsers and tools send
                row("gzip, deflate, br, zstd", "br"),
                row("gzip, deflate, br", "br"),
                row("gzip, deflate", "gzip"),
                row("br", "br"),
                row("gzip", "gzip"),
                row("deflate, compress", "identity"),
                row("identity", "identity"),
                // q-values: the higher weight wins, br first at equal weight, either before the identity at equal weight
                row("br;q=0.5, gzip", "gzip"),
                row("gzip;q=1.0, br;q=0.999", "gzip"),
                row("gzip;q=0.8, br;q=0.8", "br"),
                row("gzip;q=0.5, identity", "identity"),
                row("gzip;q=0.5, identity;q=0.5", "gzip"),
                row("gzip;q=0.001", "gzip"),
                row("br;q=1.000", "br"),
                row("br;q=0.", "identity"),
                row("br;q=0.000", "identity"),
                // case and whitespace
                row("BR, GZIP", "br"),
                row("Gzip;Q=0.9", "gzip"),
                row("x-gzip", "gzip"),
                row("br ; q=0.5 , gzip\t;\tq=0.4", "br"),
                row(" , ,br,, ", "br"),
                // *, exclusions, identity refused
                row("*", "br"),
                row("*;q=0", "identity"),
                row("br;q=0, *", "gzip"),
                row("br;q=0, gzip;q=0", "identity"),
                row("gzip;q=0", "identity"),
                row("identity;q=0", "identity"),
                row("identity;q=0, gzip", "gzip"),
                row("*;q=0.5, identity", "identity"),
                row("*;q=0.5, identity;q=0.4", "br"),
                // a coding named twice: a refusal anywhere is a refusal
                row("gzip, gzip;q=0", "identity"),
                row("br;q=0, br", "identity"),
                // malformed elements are ignored, the others still count
                row("br;q=1.5, gzip", "gzip"),
                row("br;q=0.1234", "identity"),
                row("br;q=1.001", "identity"),
                row("br;q=", "identity"),
                row("br;q", "identity"),
                row("br;q=abc, gzip;q=0.2", "gzip"),
                row("br;level=5", "identity"),
                row("br;q=0.5;q=0.6, gzip;q=0.1", "gzip"),
                row("br foo, gzip", "gzip"),
                row("\"br\", gzip", "gzip"),
                row("b r", "identity"),
                row(";q=1", "identity"),
                row("br;q=-1", "identity"),
                row("br;q=0.5 garbage, gzip", "gzip"),
                row("", "identity"),
                row(",", "identity"));
    }

    private static Arguments row(String header, String coding) {
        return Arguments.of(header, coding);
    }

    @ParameterizedTest(name = "Accept-Encoding: {0} -> {1}")
    @MethodSource("table")
    void theTableOfFields(String header, String coding) {
        assertEquals(coding, chosen(AcceptEncoding.parse(header)), () -> AcceptEncoding.parse(header).toString());
    }

    @Test
    void anAbsentFieldOffersNoCodingButAcceptsTheIdentity() {
        AcceptEncoding absent = AcceptEncoding.parse((String) null);
        assertEquals("identity", chosen(absent));
        assertFalse(absent.refusesIdentity());
        assertEquals(AcceptEncoding.UNLISTED, absent.br());
        assertEquals(AcceptEncoding.UNLISTED, AcceptEncoding.parse(List.of()).gzip());
    }

    @Test
    void weightsAreThousandthsAndStarCoversWhatIsNotNamed() {
        AcceptEncoding a = AcceptEncoding.parse("br;q=0.25, *;q=0.125");
        assertEquals(250, a.br());
        assertEquals(125, a.gzip(), "gzip from *");
        assertEquals(125, a.identity(), "the identity from * too");
        assertEquals(1000, AcceptEncoding.parse("gzip;q=1").gzip());
        assertEquals(0, AcceptEncoding.parse("gzip;q=0.0").gzip());
        assertEquals(500, AcceptEncoding.parse("gzip;q=0.5").gzip());
        assertEquals(AcceptEncoding.UNLISTED, AcceptEncoding.parse("gzip").br(), "no *: br is not offered");
    }

    @Test
    void theIdentityIsRefusedOnlyByIdentityQ0OrStarQ0WithoutIdentity() {
        assertTrue(AcceptEncoding.parse("identity;q=0").refusesIdentity());
        assertTrue(AcceptEncoding.parse("*;q=0").refusesIdentity());
        assertTrue(AcceptEncoding.parse("gzip, identity;q=0").refusesIdentity());
        assertFalse(AcceptEncoding.parse("*;q=0, identity").refusesIdentity());
        assertFalse(AcceptEncoding.parse("gzip;q=0").refusesIdentity());
        assertFalse(AcceptEncoding.parse("identity;q=zero").refusesIdentity(), "a malformed refusal is no refusal");
    }

    @Test
    void severalFieldLinesAreOneList() {
        assertEquals("gzip", chosen(AcceptEncoding.parse(List.of("gzip;q=0.5", "br;q=0.2"))));
        assertEquals("identity", chosen(AcceptEncoding.parse(List.of("br", "br;q=0"))), "the lower weight of br");
        assertEquals("br", chosen(AcceptEncoding.parse(List.of("", "br"))));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void hostileLongFieldsCostTheirLengthAndStillParse() {
        String manyElements = "a,".repeat(500_000) + "br";
        assertEquals("br", chosen(AcceptEncoding.parse(manyElements)), "a million characters of junk, then br");
        String longQ = "br;q=0." + "0".repeat(1_000_000) + ", gzip";
        assertEquals("gzip", chosen(AcceptEncoding.parse(longQ)), "an endless qvalue is malformed");
        String manyParams = "br" + ";x=1".repeat(200_000) + ", gzip;q=0.3";
        assertEquals("gzip", chosen(AcceptEncoding.parse(manyParams)));
        String repeated = "gzip;q=0.9, ".repeat(100_000) + "br;q=0.1";
        assertEquals("gzip", chosen(AcceptEncoding.parse(repeated)));
        String noCommas = "x".repeat(2_000_000);
        assertEquals("identity", chosen(AcceptEncoding.parse(noCommas)));
        for (int i = 0; i < 10_000; i++) { // many parses of a hostile field stay cheap: nothing is quadratic
            assertEquals("identity", chosen(AcceptEncoding.parse(";;;;,,,,\"\"\"\"====qqqq" + i + ", br;q=0")));
        }
    }
}
