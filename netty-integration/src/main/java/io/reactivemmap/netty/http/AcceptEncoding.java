package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.util.List;

/**
 * A request's {@code Accept-Encoding} (RFC 9110 §12.5.3), read for what this server can serve: the weights of
 * {@code br}, {@code gzip} (and its alias {@code x-gzip}, §8.4.1.3), {@code identity} and {@code *}. Weights are kept
 * as thousandths ({@code q=0.5} is 500), so nothing is a floating-point comparison.
 *
 * <h2>Reading the field</h2>
 * <ul>
 *   <li>A list of {@code coding [ OWS ";" OWS "q=" qvalue ]} elements; several field lines are one list. Codings and
 *   the {@code q} are case-insensitive; empty elements ({@code "gzip,,br"}) are skipped.</li>
 *   <li>An element that does not parse (a coding that is not a token, a {@code qvalue} that is not {@code 0} to
 *   {@code 1} with at most three decimals, any parameter but {@code q}, a repeated {@code q}) is ignored as if it
 *   were not sent: it neither offers nor refuses a coding. The other elements still count.</li>
 *   <li>A coding listed twice gets the lower of its weights: a refusal anywhere in the list is a refusal.</li>
 *   <li>{@code *} stands for every coding not listed by name, {@code identity} included.</li>
 *   <li>A field that is absent or empty offers no coding: only the identity is served. (RFC 9110 lets a server treat
 *   an absent field as "anything goes"; sending compressed bytes to a client that did not ask, {@code curl} without
 *   {@code --compressed}, would hand it bytes it cannot read, so this server, like nginx, does not.)</li>
 * </ul>
 * Reading is one pass over the field's characters with no allocation per element, so a hostile field (thousands of
 * elements, a megabyte of parameters) costs its length and nothing more; the front end's header-size limit bounds
 * that length.
 */
final class AcceptEncoding {
    /** The weight of a coding the field does not name (and no {@code *} covers). */
    static final int UNLISTED = -1;
    /** The weight {@code q=1}, in thousandths. */
    static final int ONE = 1000;
    /** The field of a request without one. */
    static final AcceptEncoding ABSENT = new AcceptEncoding(UNLISTED, UNLISTED, UNLISTED, UNLISTED);

    private static final int BR = 0;
    private static final int GZIP = 1;
    private static final int IDENTITY = 2;
    private static final int STAR = 3;
    private static final int OTHER = 4;

    private final int br;
    private final int gzip;
    private final int identity;
    private final int star;

    private AcceptEncoding(int br, int gzip, int identity, int star) {
        this.br = br;
        this.gzip = gzip;
        this.identity = identity;
        this.star = star;
    }

    /** The field made of {@code lines} (every {@code Accept-Encoding} line of a request, in order; empty if none). */
    static AcceptEncoding parse(List<String> lines) {
        if (lines.isEmpty()) {
            return ABSENT;
        }
        int[] weights = {UNLISTED, UNLISTED, UNLISTED, UNLISTED, UNLISTED};
        for (String line : lines) {
            parseLine(line, weights);
        }
        return new AcceptEncoding(weights[BR], weights[GZIP], weights[IDENTITY], weights[STAR]);
    }

    /** The field of one line, or of none ({@code null}). */
    static AcceptEncoding parse(@Nullable String line) {
        return line == null ? ABSENT : parse(List.of(line));
    }

    private static void parseLine(String s, int[] weights) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            // one element: [OWS] token [OWS] [";" OWS "q=" qvalue] [OWS] ("," | end)
            i = skipOws(s, i);
            if (i < n && s.charAt(i) == ',') {
                i++;
                continue; // an empty element
            }
            int start = i;
            while (i < n && isTchar(s.charAt(i))) {
                i++;
            }
            int coding = start == i ? -1 : coding(s, start, i);
            int q = ONE;
            boolean ok = start < i;
            i = skipOws(s, i);
            if (ok && i < n && s.charAt(i) == ';') {
                i = skipOws(s, i + 1);
                if (i + 1 < n && (s.charAt(i) == 'q' || s.charAt(i) == 'Q') && s.charAt(i + 1) == '=') {
                    int end = i + 2;
                    while (end < n && s.charAt(end) != ',' && s.charAt(end) != ' ' && s.charAt(end) != '\t') {
                        end++;
                    }
                    q = qvalue(s, i + 2, end);
                    ok = q >= 0;
                    i = skipOws(s, end);
                } else {
                    ok = false;
                }
            }
            if (i < n && s.charAt(i) != ',') {
                ok = false; // another parameter, a second ";q=", a quoted string, garbage
            }
            // skip to the end of the element; the next comma starts the next one (a comma inside garbage included:
            // there are no quoted strings in this field's grammar)
            while (i < n && s.charAt(i) != ',') {
                i++;
            }
            if (ok && coding >= 0 && coding != OTHER) {
                weights[coding] = weights[coding] == UNLISTED ? q : Math.min(weights[coding], q);
            }
        }
    }

    /** Which of the codings this class reads {@code s[start, end)} names, case-insensitively. */
    private static int coding(String s, int start, int end) {
        int len = end - start;
        if (len == 2 && s.regionMatches(true, start, "br", 0, 2)) {
            return BR;
        }
        if ((len == 4 && s.regionMatches(true, start, "gzip", 0, 4))
                || (len == 6 && s.regionMatches(true, start, "x-gzip", 0, 6))) {
            return GZIP;
        }
        if (len == 8 && s.regionMatches(true, start, "identity", 0, 8)) {
            return IDENTITY;
        }
        if (len == 1 && s.charAt(start) == '*') {
            return STAR;
        }
        return OTHER;
    }

    /** {@code qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")])} as thousandths, or -1 if {@code s[start, end)} is not one. */
    private static int qvalue(String s, int start, int end) {
        int len = end - start;
        if (len < 1 || len > 5) {
            return -1;
        }
        char first = s.charAt(start);
        if (first != '0' && first != '1') {
            return -1;
        }
        if (len == 1) {
            return first == '1' ? ONE : 0;
        }
        if (s.charAt(start + 1) != '.') {
            return -1;
        }
        int thousandths = 0;
        int scale = 100;
        for (int k = start + 2; k < end; k++) {
            char c = s.charAt(k);
            if (c < '0' || c > '9' || (first == '1' && c != '0')) {
                return -1;
            }
            thousandths += (c - '0') * scale;
            scale /= 10;
        }
        return first == '1' ? ONE : thousandths;
    }

    private static int skipOws(String s, int i) {
        while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
            i++;
        }
        return i;
    }

    /** tchar (RFC 9110 §5.6.2). */
    private static boolean isTchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** The weight of {@code br}: as listed, else that of {@code *}, else {@link #UNLISTED}. */
    int br() {
        return br != UNLISTED ? br : star;
    }

    /** The weight of {@code gzip} (or {@code x-gzip}): as listed, else that of {@code *}, else {@link #UNLISTED}. */
    int gzip() {
        return gzip != UNLISTED ? gzip : star;
    }

    /**
     * The weight of the identity: as listed, else that of {@code *}, else {@link #UNLISTED} (acceptable, RFC 9110
     * §12.5.3, but preferred to nothing the client names).
     */
    int identity() {
        return identity != UNLISTED ? identity : star;
    }

    /** Whether the client refused the identity: {@code identity;q=0}, or {@code *;q=0} without {@code identity}. */
    boolean refusesIdentity() {
        return identity() == 0;
    }

    /**
     * Whether a coding of weight {@code weight} is to be served rather than the identity: it is offered ({@code q > 0})
     * and weighs at least as much as the identity (at equal weight the smaller body wins).
     */
    boolean prefersOverIdentity(int weight) {
        return weight > 0 && weight >= identity();
    }

    @Override
    public String toString() {
        return "AcceptEncoding[br=" + br + ", gzip=" + gzip + ", identity=" + identity + ", *=" + star + "]";
    }
}
