package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import org.jspecify.annotations.Nullable;

import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which {@code Cache-Control} (RFC 9111 §5.2) a served file's response carries, and whether it carries {@code Expires}
 * too: an optional default value and an ordered list of {@linkplain Rule rules}, each a glob over the file's path
 * relative to the served root mapped to a value. The first rule that matches decides; when none does, the default
 * does; without a default, the response has no {@code Cache-Control} ({@link #NONE}: no rule, no default, the
 * behaviour of a server configured with nothing).
 *
 * <p>The path matched is the served file's path relative to the root, with {@code /} separators: {@code app.js},
 * {@code assets/app.3f9a0c1d.js}, and for a directory's index the index file's own path ({@code docs/index.html} for
 * a request of {@code /docs/}). A glob has {@link java.nio.file.FileSystem#getPathMatcher} {@code "glob:"} semantics:
 * {@code *} stays within one name, {@code **} crosses directories, so <code>**&#47;*.css</code> matches
 * {@code a/b.css} but not a top-level {@code b.css} (<code>{*.css,**&#47;*.css}</code> matches both).
 *
 * <p>With {@link Builder#expires(boolean) expires} on, a response whose value has {@code max-age=N} also gets
 * {@code Expires} = its {@code Date} + N seconds (RFC 9111 §5.3; a cache that knows {@code max-age} ignores it, an
 * HTTP/1.0 cache uses it). Off by default.
 *
 * <p>The headers go on every {@code 200}, {@code 206} and {@code 304} answered for a file (a {@code 304} carries the
 * {@code Cache-Control} its {@code 200} would have, RFC 9110 §15.4.5), never on an error.
 *
 * <h2>Examples</h2>
 * Hashed asset names cached for a year, everything else revalidated:
 * {@snippet :
 * CacheRules rules = CacheRules.builder()
 *         .defaultCacheControl("no-cache")
 *         .rule("**" + "/*.[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f].*",
 *                 "public, max-age=31536000, immutable")
 *         .build();
 * }
 * A directory of assets, with {@code Expires} for old caches:
 * {@snippet :
 * CacheRules rules = CacheRules.builder()
 *         .rule("assets/**", "public, max-age=86400")
 *         .expires(true)
 *         .build();
 * }
 *
 * <p>Immutable and thread-safe.
 */
public final class CacheRules {
    /** No {@code Cache-Control}, no {@code Expires}: responses carry neither. */
    public static final CacheRules NONE = new CacheRules(null, List.of(), false);

    private final @Nullable String defaultCacheControl;
    private final List<Rule> rules;
    private final boolean expires;
    /** The default value's {@code max-age}, parsed once. */
    private final OptionalLong defaultMaxAge;

    private CacheRules(@Nullable String defaultCacheControl, List<Rule> rules, boolean expires) {
        this.defaultCacheControl = defaultCacheControl;
        this.rules = List.copyOf(rules);
        this.expires = expires;
        this.defaultMaxAge = defaultCacheControl == null ? OptionalLong.empty() : maxAge(defaultCacheControl);
    }

    /** A builder with no default, no rule and {@code Expires} off. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these rules, to change some. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.defaultCacheControl = defaultCacheControl;
        b.rules.addAll(rules);
        b.expires = expires;
        return b;
    }

    /** The value for a file no rule matches, if any. */
    public Optional<String> defaultCacheControl() {
        return Optional.ofNullable(defaultCacheControl);
    }

    /** The rules, in the order they are tried. */
    public List<Rule> rules() {
        return rules;
    }

    /** Whether a value with {@code max-age} also sends {@code Expires}. */
    public boolean expires() {
        return expires;
    }

    /**
     * The {@code Cache-Control} value for the file at {@code relativePath} (relative to the root, {@code /}
     * separators): the first matching rule's, else the default, else none.
     */
    public Optional<String> cacheControlFor(String relativePath) {
        Objects.requireNonNull(relativePath, "relativePath");
        Rule rule = ruleFor(relativePath);
        return rule != null ? Optional.of(rule.cacheControl) : defaultCacheControl();
    }

    /** The first rule matching {@code relativePath}, or null (also for a string that is no path). */
    private @Nullable Rule ruleFor(String relativePath) {
        if (rules.isEmpty()) {
            return null;
        }
        try {
            return ruleFor(Path.of(relativePath));
        } catch (InvalidPathException e) {
            return null;
        }
    }

    private @Nullable Rule ruleFor(Path relativePath) {
        for (Rule r : rules) {
            if (r.matcher.matches(relativePath)) {
                return r;
            }
        }
        return null;
    }

    /**
     * Sets {@code Cache-Control} on {@code headers} for the file at {@code relativePath}, and, when {@link #expires()}
     * is on and the value has {@code max-age=N}, {@code Date} ({@code date}, to the second) and {@code Expires}
     * ({@code date} + N seconds), so that the two agree whatever second the front end writes the response in. Does
     * nothing when no value applies.
     */
    public void apply(HttpHeaders headers, String relativePath, Instant date) {
        Objects.requireNonNull(relativePath, "relativePath");
        apply(headers, ruleFor(relativePath), date);
    }

    /** As {@link #apply(HttpHeaders, String, Instant)} for a path the exchange already has (no string round trip). */
    void apply(HttpHeaders headers, Path relativePath, Instant date) {
        apply(headers, rules.isEmpty() ? null : ruleFor(relativePath), date);
    }

    private void apply(HttpHeaders headers, @Nullable Rule rule, Instant date) {
        String value = rule != null ? rule.cacheControl : defaultCacheControl;
        if (value == null) {
            return;
        }
        headers.set(HttpHeaderNames.CACHE_CONTROL, value);
        if (expires) {
            Instant expiry = expiresAt(rule != null ? rule.maxAge : defaultMaxAge, date);
            if (expiry != null) {
                headers.set(HttpHeaderNames.DATE, HttpDates.format(date.truncatedTo(ChronoUnit.SECONDS)));
                headers.set(HttpHeaderNames.EXPIRES, HttpDates.format(expiry));
            }
        }
    }

    /**
     * When a response dated {@code date} with {@code Cache-Control: value} expires: {@code date} (to the second) plus
     * its {@code max-age}, or {@code null} if {@code value} has none. A {@code max-age} too large for an
     * {@link Instant} is capped at the year 9999.
     */
    public static @Nullable Instant expiresAt(String value, Instant date) {
        return expiresAt(maxAge(value), date);
    }

    /** The latest {@code Expires} sent: an {@link Instant} holds far more, an HTTP-date four digits of year. */
    private static final Instant LATEST_EXPIRY = Instant.parse("9999-12-31T23:59:59Z");

    private static @Nullable Instant expiresAt(OptionalLong maxAge, Instant date) {
        if (maxAge.isEmpty()) {
            return null;
        }
        Instant base = date.truncatedTo(ChronoUnit.SECONDS);
        long room = LATEST_EXPIRY.getEpochSecond() - base.getEpochSecond();
        return maxAge.getAsLong() >= room ? LATEST_EXPIRY : base.plusSeconds(maxAge.getAsLong());
    }

    /** The {@code max-age} seconds of a {@code Cache-Control} value, if it has one with a number. */
    public static OptionalLong maxAge(String value) {
        for (String directive : directives(value)) {
            int eq = directive.indexOf('=');
            if (eq > 0 && directive.substring(0, eq).toLowerCase(Locale.ROOT).equals("max-age")) {
                String n = directive.substring(eq + 1);
                if (n.length() > 2 && n.startsWith("\"") && n.endsWith("\"")) {
                    n = n.substring(1, n.length() - 1);
                }
                if (!n.isEmpty() && n.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    try {
                        return OptionalLong.of(Long.parseLong(n));
                    } catch (NumberFormatException e) {
                        return OptionalLong.of(Long.MAX_VALUE); // more digits than a long: "infinity"
                    }
                }
            }
        }
        return OptionalLong.empty();
    }

    /**
     * Checks that {@code value} can be sent as a {@code Cache-Control} field: a non-empty comma-separated list of
     * directives {@code token[=token|"quoted"]}, without CR, LF or any other control character.
     *
     * @return {@code value}, trimmed
     * @throws IllegalArgumentException naming the value if it is none
     */
    public static String checkValue(String value) {
        Objects.requireNonNull(value, "value");
        String v = value.strip();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("not a Cache-Control value (control character at " + i + "): "
                        + AccessLogRecord.printable(value));
            }
        }
        if (v.isEmpty() || directives(v) == null) {
            throw new IllegalArgumentException("not a Cache-Control value (a comma-separated list of directives "
                    + "such as \"public, max-age=3600\"): \"" + AccessLogRecord.printable(value) + "\"");
        }
        return v;
    }

    /** The directives of {@code value}, each stripped, or {@code null} if it is not a list of directives. */
    private static @Nullable List<String> directives(String value) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = value.length();
        while (true) {
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
                i++;
            }
            int start = i;
            while (i < n && isTokenChar(value.charAt(i))) {
                i++;
            }
            if (i == start) {
                return null; // an empty element or a non-token name
            }
            if (i < n && value.charAt(i) == '=') {
                i++;
                if (i < n && value.charAt(i) == '"') {
                    i++;
                    while (i < n && value.charAt(i) != '"') {
                        if (value.charAt(i) == '\\') {
                            i++;
                        }
                        i++;
                    }
                    if (i >= n) {
                        return null; // unterminated quoted string
                    }
                    i++;
                } else {
                    int argStart = i;
                    while (i < n && isTokenChar(value.charAt(i))) {
                        i++;
                    }
                    if (i == argStart) {
                        return null;
                    }
                }
            }
            out.add(value.substring(start, i));
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) {
                i++;
            }
            if (i == n) {
                return out;
            }
            if (value.charAt(i) != ',') {
                return null;
            }
            i++;
        }
    }

    private static boolean isTokenChar(char c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheRules that && Objects.equals(defaultCacheControl, that.defaultCacheControl)
                && rules.equals(that.rules) && expires == that.expires;
    }

    @Override
    public int hashCode() {
        return Objects.hash(defaultCacheControl, rules, expires);
    }

    @Override
    public String toString() {
        return "CacheRules[default=" + defaultCacheControl + ", rules=" + rules + ", expires=" + expires + "]";
    }

    /**
     * One rule: files whose relative path matches {@link #glob()} get {@link #cacheControl()}. Equal when glob and value
     * are.
     */
    public static final class Rule {
        private final String glob;
        private final String cacheControl;
        private final PathMatcher matcher;
        /** The value's {@code max-age}, parsed once. */
        private final OptionalLong maxAge;

        /**
         * A rule mapping {@code glob} to {@code cacheControl}.
         *
         * @throws IllegalArgumentException naming the glob if it is empty or not a glob, or naming the value if it is
         *                                  not a {@code Cache-Control} value ({@link #checkValue})
         */
        public Rule(String glob, String cacheControl) {
            Objects.requireNonNull(glob, "glob");
            this.cacheControl = checkValue(cacheControl);
            if (glob.isEmpty()) {
                throw new IllegalArgumentException("not a glob: the empty string");
            }
            try {
                this.matcher = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            } catch (IllegalArgumentException e) { // PatternSyntaxException
                throw new IllegalArgumentException("not a glob: \"" + AccessLogRecord.printable(glob) + "\" ("
                        + e.getMessage().lines().findFirst().orElse("") + ")", e);
            }
            this.glob = glob;
            this.maxAge = maxAge(this.cacheControl);
        }

        /** The glob, over the path relative to the root with {@code /} separators. */
        public String glob() {
            return glob;
        }

        /** The {@code Cache-Control} value for a file it matches. */
        public String cacheControl() {
            return cacheControl;
        }

        /** Whether the file at {@code relativePath} matches. */
        public boolean matches(String relativePath) {
            try {
                return matcher.matches(Path.of(relativePath));
            } catch (InvalidPathException e) {
                return false;
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Rule that && glob.equals(that.glob) && cacheControl.equals(that.cacheControl);
        }

        @Override
        public int hashCode() {
            return Objects.hash(glob, cacheControl);
        }

        @Override
        public String toString() {
            return glob + "=" + cacheControl;
        }
    }

    /** Builds {@link CacheRules}; values and globs are checked as they are given. Not thread-safe. */
    public static final class Builder {
        private @Nullable String defaultCacheControl;
        private final List<Rule> rules = new ArrayList<>();
        private boolean expires;

        private Builder() {
        }

        /**
         * The value for files no rule matches; {@code null} for none (no header).
         *
         * @throws IllegalArgumentException naming the value if it is not a {@code Cache-Control} value
         */
        public Builder defaultCacheControl(@Nullable String value) {
            this.defaultCacheControl = value == null ? null : checkValue(value);
            return this;
        }

        /**
         * Adds a rule after those already added: files matching {@code glob} get {@code cacheControl}.
         *
         * @throws IllegalArgumentException naming the glob or the value if either is bad
         */
        public Builder rule(String glob, String cacheControl) {
            rules.add(new Rule(glob, cacheControl));
            return this;
        }

        /** Adds {@code rule} after those already added. */
        public Builder rule(Rule rule) {
            rules.add(Objects.requireNonNull(rule, "rule"));
            return this;
        }

        /** Whether a value with {@code max-age=N} also sends {@code Expires} = {@code Date} + N seconds. */
        public Builder expires(boolean on) {
            this.expires = on;
            return this;
        }

        /** The rules. */
        public CacheRules build() {
            return new CacheRules(defaultCacheControl, rules, expires);
        }
    }
}
