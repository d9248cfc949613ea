package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An entity tag (RFC 9110 §8.8.3): an opaque quoted string, strong or weak ({@code W/} prefix).
 *
 * @param opaque the characters between the quotes
 * @param weak whether the tag is weak
 */
public record EntityTag(String opaque, boolean weak) {
    /** Checks that {@code opaque} holds only entity-tag characters (RFC 9110 §8.8.3). */
    public EntityTag {
        Objects.requireNonNull(opaque, "opaque");
        for (int i = 0; i < opaque.length(); i++) {
            if (!isEtagc(opaque.charAt(i))) {
                throw new IllegalArgumentException("not an entity-tag character at " + i + " in " + opaque);
            }
        }
    }

    /** A strong tag. */
    public static EntityTag strong(String opaque) {
        return new EntityTag(opaque, false);
    }

    /** The header form: {@code "opaque"} or {@code W/"opaque"}. */
    @Override
    public String toString() {
        return (weak ? "W/\"" : "\"") + opaque + '"';
    }

    /** Strong comparison: both strong and the same opaque string (RFC 9110 §8.8.3.2). */
    public boolean strongMatch(EntityTag other) {
        return !weak && !other.weak && opaque.equals(other.opaque);
    }

    /** Weak comparison: the same opaque string, weakness ignored. */
    public boolean weakMatch(EntityTag other) {
        return opaque.equals(other.opaque);
    }

    /** One entity tag, or {@code null} if {@code value} is not exactly one well-formed tag. */
    public static @Nullable EntityTag parse(String value) {
        List<EntityTag> tags = parseList(value.strip());
        return tags != null && tags.size() == 1 && !value.strip().contains(",") ? tags.get(0) : null;
    }

    /**
     * A comma-separated list of tags as in {@code If-Match}/{@code If-None-Match}, or {@code null} if malformed.
     * {@code *} is not a list; callers check it first.
     */
    public static @Nullable List<EntityTag> parseList(String value) {
        List<EntityTag> tags = new ArrayList<>();
        int i = 0;
        int n = value.length();
        while (i < n) {
            char c = value.charAt(i);
            if (c == ' ' || c == '\t' || c == ',') {
                i++;
                continue;
            }
            boolean weak = false;
            if (c == 'W' && value.startsWith("W/", i)) {
                weak = true;
                i += 2;
            }
            if (i >= n || value.charAt(i) != '"') {
                return null;
            }
            int close = value.indexOf('"', i + 1);
            if (close < 0) {
                return null;
            }
            String opaque = value.substring(i + 1, close);
            for (int k = 0; k < opaque.length(); k++) {
                if (!isEtagc(opaque.charAt(k))) {
                    return null;
                }
            }
            tags.add(new EntityTag(opaque, weak));
            i = close + 1;
            // after a tag only OWS then a comma (or the end) may follow
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
                i++;
            }
            if (i < n && value.charAt(i) != ',') {
                return null;
            }
        }
        return tags;
    }

    /** etagc = %x21 / %x23-7E / obs-text (RFC 9110 §8.8.3). */
    private static boolean isEtagc(char c) {
        return c == 0x21 || (c >= 0x23 && c <= 0x7E) || (c >= 0x80 && c <= 0xFF);
    }
}
