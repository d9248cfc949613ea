package io.reactivemmap.netty.reactor;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.CacheRules;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RequestPath;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Configuration of a {@link FileRoute}. Start from {@link #defaults(Path)} and change what you need with the
 * {@code withX} methods.
 *
 * @param root the directory served
 * @param prefix the part of the request path that names the route, not a file: {@code "/files"} makes
 *               {@code /files/a/b.txt} serve {@code a/b.txt} under the root, and requests outside it get {@code 404}.
 *               Compared by path segments after decoding, so {@code /files2/a} is not under {@code /files}. Empty (the
 *               default) when the route serves the whole URL space
 * @param windowSize bytes per mapped window when the body is sent as mapped windows
 * @param maxBytesInFlight bytes of mapped windows one response holds at most: mapped and not yet taken by the socket (or
 *                         the TLS engine). At least one window is always allowed, so a value below
 *                         {@code windowSize} means one window at a time
 * @param bodyMode how file bytes reach the socket; {@link BodyMode#AUTO} chooses per connection (see {@link FileRoute})
 * @param rangeLimits limits against range abuse
 * @param followSymlinksOutside whether symbolic links may lead outside the root
 * @param serveHidden whether names starting with a dot are served
 * @param cacheRules the {@code Cache-Control} (and {@code Expires}) of file responses; {@link CacheRules#NONE} (the
 *                   default) for none
 * @param precompressed whether {@code name.br} and {@code name.gz} beside {@code name} are served to clients whose
 *                      {@code Accept-Encoding} takes them (off by default), as nginx's {@code gzip_static} and
 *                      {@code brotli_static}; see {@link io.reactivemmap.netty.http.FileExchange#withPrecompressed}
 * @param directoryListings whether a directory without {@code index.html} is answered with an HTML listing of what a
 *                          request would be given (off by default: a {@code 404}), as nginx's {@code autoindex}; see
 *                          {@link io.reactivemmap.netty.http.FileExchange#withDirectoryListings}
 */
public record FileRouteOptions(Path root, String prefix, int windowSize, long maxBytesInFlight, BodyMode bodyMode,
                               RangeLimits rangeLimits, boolean followSymlinksOutside, boolean serveHidden,
                               CacheRules cacheRules, boolean precompressed, boolean directoryListings) {
    /** Checks every component. */
    public FileRouteOptions {
        Objects.requireNonNull(cacheRules, "cacheRules");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(bodyMode, "bodyMode");
        Objects.requireNonNull(rangeLimits, "rangeLimits");
        prefixSegments(prefix); // validates
        if (windowSize < 4096 || windowSize > MapOptions.MAX_WINDOW_SIZE) {
            throw new IllegalArgumentException("windowSize must be 4096-" + MapOptions.MAX_WINDOW_SIZE + " bytes (got "
                    + windowSize + ")");
        }
        if (maxBytesInFlight < 1) {
            throw new IllegalArgumentException("maxBytesInFlight must be >= 1 (got " + maxBytesInFlight + ")");
        }
    }

    /**
     * Serves {@code root} under no prefix, {@link BodyMode#AUTO}, 4 MiB windows, at most 8 MiB mapped per response,
     * {@link RangeLimits#DEFAULT}, no symbolic links out of the root, no hidden files: the defaults of the Netty
     * {@link io.reactivemmap.netty.http.FileServer}.
     */
    public static FileRouteOptions defaults(Path root) {
        return new FileRouteOptions(root, "", 4 << 20, 8L << 20, BodyMode.AUTO, RangeLimits.DEFAULT, false, false,
                CacheRules.NONE, false, false);
    }

    /** These options without {@code Cache-Control} rules ({@link CacheRules#NONE}), as before there were any. */
    public FileRouteOptions(Path root, String prefix, int windowSize, long maxBytesInFlight, BodyMode bodyMode,
                            RangeLimits rangeLimits, boolean followSymlinksOutside, boolean serveHidden) {
        this(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden,
                CacheRules.NONE, false, false);
    }

    /** These options without precompressed siblings, as before there were any. */
    public FileRouteOptions(Path root, String prefix, int windowSize, long maxBytesInFlight, BodyMode bodyMode,
                            RangeLimits rangeLimits, boolean followSymlinksOutside, boolean serveHidden,
                            CacheRules cacheRules) {
        this(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden,
                cacheRules, false, false);
    }

    /** These options without directory listings, as before there were any. */
    public FileRouteOptions(Path root, String prefix, int windowSize, long maxBytesInFlight, BodyMode bodyMode,
                            RangeLimits rangeLimits, boolean followSymlinksOutside, boolean serveHidden,
                            CacheRules cacheRules, boolean precompressed) {
        this(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden,
                cacheRules, precompressed, false);
    }

    /** These options listing directories without an index when {@code on}; see {@link #directoryListings()}. */
    public FileRouteOptions withDirectoryListings(boolean on) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits,
                followSymlinksOutside, serveHidden, cacheRules, precompressed, on);
    }

    /** These options serving precompressed siblings when {@code on}; see {@link #precompressed()}. */
    public FileRouteOptions withPrecompressed(boolean on) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits,
                followSymlinksOutside, serveHidden, cacheRules, on, directoryListings);
    }

    /** These options with {@code cacheRules} for the {@code Cache-Control} and {@code Expires} of file responses. */
    public FileRouteOptions withCacheRules(CacheRules cacheRules) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits,
                followSymlinksOutside, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /**
     * These options with the route mounted under {@code prefix}.
     *
     * @param prefix {@code ""} or a path starting with {@code /}, such as {@code "/files"} (a trailing {@code /} is ignored)
     */
    public FileRouteOptions withPrefix(String prefix) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /** These options with {@link #windowSize()} set to {@code windowSize} bytes per mapped window. */
    public FileRouteOptions withWindowSize(int windowSize) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /** These options with {@link #maxBytesInFlight()} set to {@code maxBytesInFlight}. */
    public FileRouteOptions withMaxBytesInFlight(long maxBytesInFlight) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /** These options with {@code bodyMode} for how response bodies are sent. */
    public FileRouteOptions withBodyMode(BodyMode bodyMode) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /** These options with {@code rangeLimits} for the ranges a request may ask for. */
    public FileRouteOptions withRangeLimits(RangeLimits rangeLimits) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /** These options with {@link #followSymlinksOutside()} on or off. */
    public FileRouteOptions withFollowSymlinksOutside(boolean on) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, on, serveHidden, cacheRules, precompressed, directoryListings);
    }

    /** These options with {@link #serveHidden()} on or off. */
    public FileRouteOptions withServeHidden(boolean on) {
        return new FileRouteOptions(root, prefix, windowSize, maxBytesInFlight, bodyMode, rangeLimits, followSymlinksOutside, on, cacheRules, precompressed, directoryListings);
    }

    /** The map options of a response body: a window of {@code windowSize}, {@code maxBytesInFlight} live at most. */
    MapOptions mapOptions() {
        // No populate-ahead: the network paces a response, and faulting a whole read-ahead window in at once only
        // pins pages long before they are sent (the reasoning and measurement are on BodySenders.mapOptions).
        return MapOptions.defaults().withWindowSize(windowSize).withMaxLiveBytes(maxBytesInFlight).withPopulateAhead(false);
    }

    /** The decoded segments of {@code prefix}, parsed by the same rules as request paths. */
    static List<String> prefixSegments(String prefix) {
        if (prefix.isEmpty()) {
            return List.of();
        }
        if (!prefix.startsWith("/") || prefix.indexOf('?') >= 0) {
            throw new IllegalArgumentException("prefix must be empty or a path starting with '/', without a query (got \""
                    + prefix + "\")");
        }
        try {
            return RequestPath.parse(prefix).segments();
        } catch (RequestPath.InvalidPathException e) {
            throw new IllegalArgumentException("prefix \"" + prefix + "\" is not a valid request path: " + e.getMessage(), e);
        }
    }
}
