package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The protocol-neutral half of serving a file: from the request's method, target, version and the headers that decide
 * the answer, to a {@link FileResponse} that holds the status, the headers, the body parts and the opened, checked
 * file. A front end translates its protocol's request into an {@link Request}, calls {@link #answer(Request)}, and
 * writes the response with its own writer (Netty channel, HTTP/2 DATA frames, Reactor Netty {@code send}, ...).
 *
 * <p>What every front end gets from here, decided once:
 * <ul>
 *   <li>the HTTP/1.x rules ({@link RequestRules}): {@code 505} for versions other than 1.0 and 1.1, {@code 400} for a
 *   missing, repeated or malformed {@code Host};</li>
 *   <li>{@code OPTIONS *} answered {@code 204} with {@code Allow: GET, HEAD}; the asterisk target with any other
 *   method is a {@code 400};</li>
 *   <li>{@code 405} with {@code Allow: GET, HEAD} for every method but {@code GET} and {@code HEAD};
 *   {@code 400} for a {@code GET} or {@code HEAD} that carries a body;</li>
 *   <li>the path rules ({@link RequestPath}, {@link RootDirectory}): {@code 400} for a bad path, {@code 404} for
 *   anything not servable (outside the prefix, absent, hidden, a link out of the root, a directory without
 *   {@code index.html} unless listings are on);</li>
 *   <li>the response plan ({@link ResponsePlan}): 200, 206, 304, 412, 416, and the error bodies' format;</li>
 *   <li>precompressed siblings ({@code name.br}, {@code name.gz}) chosen by {@code Accept-Encoding}, when
 *   {@linkplain #withPrecompressed(boolean) asked for};</li>
 *   <li>the HTML listing of a directory without {@code index.html}, when
 *   {@linkplain #withDirectoryListings(boolean) asked for}.</li>
 * </ul>
 *
 * <h2>Access log</h2>
 * Each answer carries the start of its {@link AccessLogRecord}: the request's address, method, target, protocol and
 * arrival, the status and the planned body length. The front end {@linkplain FileResponse#complete completes} it when
 * the response has ended (written, failed or abandoned), and the exchange's {@link AccessLog} gets the record then,
 * exactly once ({@link AccessLog#SYSTEM_LOGGER} unless {@link #of(RootDirectory, RangeLimits, List, AccessLog)} was
 * given another). A response the front end makes itself (a {@code 503}, a status page) is logged the same way once
 * {@link #answerWith} has tied it to its request.
 *
 * <h2>Ownership</h2>
 * A {@link FileResponse} with a {@link FileResponse#file() file} owns that open file: the front end must
 * {@link FileResponse#close() close} the response once its body is written or abandoned. Responses without a body
 * hold nothing (the file is closed before {@code answer} returns).
 *
 * <p>Thread-safe and stateless per request: one instance serves every connection.
 */
public final class FileExchange {
    private static final System.Logger LOG = System.getLogger(FileExchange.class.getName());
    /** The methods served, as {@code Allow} lists them. */
    public static final String ALLOW = "GET, HEAD";

    private final RootDirectory root;
    private final RangeLimits rangeLimits;
    private final List<String> prefix;
    private final AccessLog accessLog;
    private final CacheRules cacheRules;
    /** Whether {@code name.br} and {@code name.gz} beside a file are served to clients that take them ({@link Precompressed}). */
    private final boolean precompressed;
    /** Whether a directory without {@code index.html} is answered with its listing ({@link DirectoryListing}). */
    private final boolean directoryListings;

    private FileExchange(RootDirectory root, RangeLimits rangeLimits, List<String> prefix, AccessLog accessLog,
                         CacheRules cacheRules, boolean precompressed, boolean directoryListings) {
        this.root = root;
        this.rangeLimits = rangeLimits;
        this.prefix = prefix;
        this.accessLog = accessLog;
        this.cacheRules = cacheRules;
        this.precompressed = precompressed;
        this.directoryListings = directoryListings;
    }

    /**
     * Serves {@code root}; a request names a file by its whole path.
     */
    public static FileExchange of(RootDirectory root, RangeLimits rangeLimits) {
        return of(root, rangeLimits, List.of(), AccessLog.SYSTEM_LOGGER);
    }

    /**
     * Serves {@code root} under {@code prefix}: {@code /prefix/a/b.txt} names {@code a/b.txt}, and paths not under the
     * prefix are {@code 404}. The prefix is compared by decoded path segments (a list such as {@code ["files"]}).
     */
    public static FileExchange of(RootDirectory root, RangeLimits rangeLimits, List<String> prefix) {
        return of(root, rangeLimits, prefix, AccessLog.SYSTEM_LOGGER);
    }

    /**
     * Serves {@code root} under {@code prefix} (empty for none) and hands one {@link AccessLogRecord} per answered
     * request to {@code accessLog} ({@link AccessLog#NONE} for no access log).
     */
    public static FileExchange of(RootDirectory root, RangeLimits rangeLimits, List<String> prefix, AccessLog accessLog) {
        return of(root, rangeLimits, prefix, accessLog, CacheRules.NONE);
    }

    /**
     * Serves {@code root} under {@code prefix} (empty for none), logs to {@code accessLog}, and gives every
     * {@code 200}, {@code 206} and {@code 304} of a file the {@code Cache-Control} (and {@code Expires}) that
     * {@code cacheRules} choose for the file's path relative to the root ({@link CacheRules#NONE} for none).
     */
    public static FileExchange of(RootDirectory root, RangeLimits rangeLimits, List<String> prefix, AccessLog accessLog,
                                  CacheRules cacheRules) {
        return new FileExchange(Objects.requireNonNull(root, "root"), Objects.requireNonNull(rangeLimits, "rangeLimits"),
                List.copyOf(prefix), Objects.requireNonNull(accessLog, "accessLog"),
                Objects.requireNonNull(cacheRules, "cacheRules"), false, false);
    }

    /**
     * This exchange, serving precompressed siblings when {@code on} (off by default), as nginx's {@code gzip_static}
     * and {@code brotli_static}: for a file {@code name}, {@code name.br} or {@code name.gz} beside it (checked like
     * any served file) is sent to a client whose {@code Accept-Encoding} takes that coding, zero-copy like any file,
     * with {@code Content-Encoding}, the type of {@code name}, validators of its own and ranges over its bytes; every
     * response of a file that has a sibling carries {@code Vary: Accept-Encoding}. Nothing is compressed on the fly.
     * The rules in full are on the package-private {@code Precompressed}; the guides' "Precompressed files" tells them
     * too.
     *
     * @return a new exchange like this one but for that, or this one if it serves them already as asked
     */
    public FileExchange withPrecompressed(boolean on) {
        return on == precompressed ? this
                : new FileExchange(root, rangeLimits, prefix, accessLog, cacheRules, on, directoryListings);
    }

    /** Whether precompressed siblings are served; see {@link #withPrecompressed(boolean)}. */
    public boolean precompressed() {
        return precompressed;
    }

    /**
     * This exchange, answering a directory that has no {@code index.html} with an HTML listing when {@code on} (off by
     * default: such a directory is a {@code 404}), as nginx's {@code autoindex}. The index still wins. The listing
     * shows only what a request would be given: no hidden names unless they are served, no link the link policy
     * refuses or that leads out of the root, no FIFO, socket or device. Directories come first, then files, each by
     * name in code point order; each with its size in bytes and modification time (UTC); a {@code ../} link but at
     * the root; names escaped in the text and percent-encoded in the links, so that following a link asks for exactly
     * that entry. At most 10,000 entries, then a line saying the listing was truncated.
     *
     * <p>A listing is served at its directory's path with a trailing slash, so that its relative links resolve:
     * {@code /dir} answers {@code 301} with {@code Location: ./dir/} (the query kept). The page, built on the heap,
     * goes out as {@code text/html; charset=utf-8} with {@code X-Content-Type-Options: nosniff}, a
     * {@code Content-Security-Policy} that allows no script, {@code Cache-Control: no-cache} (whatever the cache
     * rules say: they are for files, and a listing changes with its directory) and a weak {@code ETag} of its bytes
     * ({@code If-None-Match} gives {@code 304}); without {@code Accept-Ranges} ({@code Range} is ignored) or
     * {@code Last-Modified}. A directory that cannot be read is a {@code 404}, as an unreadable file is.
     *
     * @return a new exchange like this one but for that, or this one if it lists directories already as asked
     */
    public FileExchange withDirectoryListings(boolean on) {
        return on == directoryListings ? this
                : new FileExchange(root, rangeLimits, prefix, accessLog, cacheRules, precompressed, on);
    }

    /** Whether directories without an index are listed; see {@link #withDirectoryListings(boolean)}. */
    public boolean directoryListings() {
        return directoryListings;
    }

    /** The directory served. */
    public RootDirectory root() {
        return root;
    }

    /** The {@code Cache-Control} rules of this exchange's file responses. */
    public CacheRules cacheRules() {
        return cacheRules;
    }

    /** Where this exchange's access-log records go. */
    public AccessLog accessLog() {
        return accessLog;
    }

    /**
     * What a front end knows of a request.
     *
     * @param method the method token as received ({@code GET}, {@code :method} of an HTTP/2 stream)
     * @param target the request target as received, still percent-encoded ({@code :path} of an HTTP/2 stream)
     * @param majorVersion the request line's major version, or -1 for a request without one (an HTTP/2 stream, whose
     *                     codec checks its pseudo-headers): the HTTP/1.x rules are then skipped
     * @param minorVersion the request line's minor version (ignored when {@code majorVersion} is -1)
     * @param hosts every {@code Host} field line of the request
     * @param headers the request headers (only those that decide the answer are read: {@code Range}, {@code If-*},
     *                {@code Accept-Encoding}; and those the access log names: {@code Referer}, {@code User-Agent})
     * @param hasBody whether the request carries a body (a front end whose server reads and drops bodies itself may
     *                pass {@code false})
     * @param remoteAddress the client's address for the access log, or {@code null} if not known
     * @param protocol the protocol for the access log: {@code "HTTP/1.1"}, {@code "HTTP/2"}, ... ({@code "-"} if not known)
     * @param startNanos when the request arrived, as {@link System#nanoTime()}: the access log's duration starts here
     */
    public record Request(String method, String target, int majorVersion, int minorVersion, List<String> hosts,
                          HttpHeaders headers, boolean hasBody, @Nullable SocketAddress remoteAddress, String protocol,
                          long startNanos) {
        /** Requires every field but the address; copies {@code hosts}. */
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(target, "target");
            hosts = List.copyOf(hosts);
            Objects.requireNonNull(headers, "headers");
            Objects.requireNonNull(protocol, "protocol");
        }

        /**
         * A request of unknown address that arrived now; its protocol is {@code "HTTP/2"} when {@code majorVersion} is
         * -1, else {@code "HTTP/major.minor"}.
         */
        public Request(String method, String target, int majorVersion, int minorVersion, List<String> hosts,
                       HttpHeaders headers, boolean hasBody) {
            this(method, target, majorVersion, minorVersion, hosts, headers, hasBody, null,
                    majorVersion < 0 ? "HTTP/2" : "HTTP/" + majorVersion + "." + minorVersion, System.nanoTime());
        }
    }

    /**
     * Ties a response the front end made itself ({@link FileResponse#error}, {@link FileResponse#text}: a {@code 503}
     * of its own, a status page) to {@code request}, so that {@link FileResponse#complete completing} it hands its
     * record to this exchange's access log, as for an {@link #answer}.
     *
     * @return {@code response}
     * @throws IllegalStateException if {@code response} is tied to a request already
     */
    public FileResponse answerWith(Request request, FileResponse response) {
        Objects.requireNonNull(request, "request");
        if (response.request != null) {
            throw new IllegalStateException("this response answers a request already: " + response);
        }
        response.request = request;
        response.accessLog = accessLog;
        return response;
    }

    /**
     * Answers {@code request}. Never throws for bad input: every refusal is a response with a 4xx or 5xx status. The
     * response's access-log record is handed to this exchange's {@link AccessLog} when the front end
     * {@linkplain FileResponse#complete completes} it.
     */
    public FileResponse answer(Request request) {
        return answerWith(request, plan(request));
    }

    private FileResponse plan(Request request) {
        boolean head = "HEAD".equals(request.method());
        if (request.majorVersion() >= 0) {
            Optional<RequestRules.Violation> broken = RequestRules.checkHttp1(request.majorVersion(),
                    request.minorVersion(), request.hosts());
            if (broken.isPresent()) {
                return FileResponse.error(HttpResponseStatus.valueOf(broken.get().status()), broken.get().message(), head,
                        true);
            }
        }
        HttpMethod method;
        try {
            method = HttpMethod.valueOf(request.method());
        } catch (IllegalArgumentException e) {
            return FileResponse.error(HttpResponseStatus.BAD_REQUEST, "not a method: "
                    + AccessLogRecord.printable(request.method()), false, true);
        }
        if (request.target().equals("*")) {
            if (!method.equals(HttpMethod.OPTIONS)) {
                return FileResponse.error(HttpResponseStatus.BAD_REQUEST, "the target * is for OPTIONS only", head,
                        request.hasBody());
            }
            HttpHeaders h = new DefaultHttpHeaders();
            h.set(HttpHeaderNames.ALLOW, ALLOW);
            h.set(HttpHeaderNames.CONTENT_LENGTH, 0);
            return new FileResponse(HttpResponseStatus.NO_CONTENT, h, List.of(), null, request.hasBody());
        }
        if (!method.equals(HttpMethod.GET) && !head) {
            // The request's body (if any) is not read: the connection is closed after the 405 instead.
            FileResponse r = FileResponse.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET and HEAD are served",
                    false, request.hasBody());
            r.headers().set(HttpHeaderNames.ALLOW, ALLOW);
            return r;
        }
        if (request.hasBody()) {
            return FileResponse.error(HttpResponseStatus.BAD_REQUEST, "a " + method + " request must not carry a body",
                    head, true);
        }
        RequestPath path;
        try {
            path = RequestPath.parse(request.target());
        } catch (RequestPath.InvalidPathException e) {
            return FileResponse.error(HttpResponseStatus.BAD_REQUEST, e.getMessage(), head, false);
        }
        RequestPath below = below(path);
        if (below == null) {
            return FileResponse.error(HttpResponseStatus.NOT_FOUND, "not found", head, false);
        }
        RootDirectory.Opened file;
        try {
            file = root.openFile(below);
        } catch (IOException | SecurityException e) {
            LOG.log(Level.DEBUG, () -> "cannot open " + AccessLogRecord.printable(request.target()) + ": " + e);
            file = null;
        }
        if (file == null) {
            FileResponse listing = directoryListings ? listing(request, head, path, below) : null;
            return listing != null ? listing : FileResponse.error(HttpResponseStatus.NOT_FOUND, "not found", head, false);
        }
        ResponsePlan plan;
        try {
            java.nio.file.Path relative = relativePath(file, below);
            // Cache rules match the name asked for (a.js), whichever coding of it is sent (a.js.br).
            Precompressed.Variant variant = precompressed
                    ? Precompressed.choose(root, file, below, request.headers().getAll(HttpHeaderNames.ACCEPT_ENCODING))
                    : Precompressed.identity(file);
            file = variant.file();
            Instant now = Instant.now();
            plan = ResponsePlan.plan(method, request.headers(), variant.representation(), rangeLimits, now);
            int status = plan.status().code();
            variant.decorate(plan.headers(), status);
            if (cacheRules != CacheRules.NONE && (status == 200 || status == 206 || status == 304)) {
                // A 304 carries what its 200 would (RFC 9110 §15.4.5); errors, 412 and 416 carry nothing.
                cacheRules.apply(plan.headers(), relative, now);
            }
        } catch (RuntimeException e) {
            FileResponse.closeQuietly(file);
            LOG.log(Level.WARNING, () -> "could not plan the response to " + method + " "
                    + AccessLogRecord.printable(request.target()), e);
            return FileResponse.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error", head, true);
        }
        if (plan.body().isEmpty()) {
            FileResponse.closeQuietly(file);
            return new FileResponse(plan.status(), plan.headers(), List.of(), null, false);
        }
        return new FileResponse(plan.status(), plan.headers(), plan.body(), file, false);
    }

    /**
     * The listing of the directory {@code below} names, or the redirect to its path with a slash; {@code null} if it
     * names no servable directory (or one that cannot be read): the caller answers 404.
     */
    private @Nullable FileResponse listing(Request request, boolean head, RequestPath path, RequestPath below) {
        RootDirectory.Found directory = root.findDirectory(below);
        if (directory == null) {
            return null;
        }
        String target = request.target();
        int q = target.indexOf('?');
        if (!path.trailingSlash() && !path.segments().isEmpty() && !endsWithDotSegment(q < 0 ? target : target.substring(0, q))) {
            // Relative to the request's own URL, so that it is right under any prefix, route pattern or proxy; "./"
            // keeps a name with a colon from reading as a scheme (hrefSegment encodes the colon anyway).
            String location = "./" + DirectoryListing.hrefSegment(path.segments().getLast()) + "/"
                    + (q < 0 ? "" : target.substring(q));
            // The body does not echo the location: nothing of the request goes back in it.
            FileResponse moved = FileResponse.error(HttpResponseStatus.MOVED_PERMANENTLY,
                    "a directory's listing is at its path with a slash", head, false);
            moved.headers().set(HttpHeaderNames.LOCATION, location);
            return moved;
        }
        DirectoryListing.Listing entries;
        try {
            entries = DirectoryListing.read(root, directory.realPath(), DirectoryListing.MAX_ENTRIES);
        } catch (IOException | SecurityException e) {
            LOG.log(Level.DEBUG, () -> "cannot list " + AccessLogRecord.printable(request.target()) + ": " + e);
            return null;
        }
        StringBuilder title = new StringBuilder("/");
        for (String segment : path.segments()) {
            title.append(segment).append('/');
        }
        byte[] page = DirectoryListing.html(title.toString(), !below.segments().isEmpty(), entries,
                DirectoryListing.MAX_ENTRIES);
        EntityTag etag = DirectoryListing.etag(page);
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.ETAG, etag.toString());
        h.set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        return switch (DirectoryListing.evaluate(request.headers(), etag)) {
            case NOT_MODIFIED -> new FileResponse(HttpResponseStatus.NOT_MODIFIED, h, List.of(), null, false);
            case PRECONDITION_FAILED -> {
                h.set(HttpHeaderNames.CONTENT_LENGTH, 0);
                yield new FileResponse(HttpResponseStatus.PRECONDITION_FAILED, h, List.of(), null, false);
            }
            case PROCEED -> {
                h.set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
                h.set(HttpHeaderNames.CONTENT_LENGTH, page.length);
                h.set("X-Content-Type-Options", "nosniff");
                h.set("Content-Security-Policy", DirectoryListing.CONTENT_SECURITY_POLICY);
                yield new FileResponse(HttpResponseStatus.OK, h, head ? List.of() : List.of(new BodyPart.Bytes(page)),
                        null, false);
            }
        };
    }

    /**
     * Whether the raw path's last segment is {@code .} (or {@code %2e}): a URL such as {@code /dir/.} resolves relative
     * links against {@code /dir/} already, so its listing needs no redirect.
     */
    private static boolean endsWithDotSegment(String rawPath) {
        String last = rawPath.substring(rawPath.lastIndexOf('/') + 1);
        return last.equals(".") || last.equalsIgnoreCase("%2e");
    }

    /**
     * The path {@link CacheRules} match: the opened file's real path relative to the root ({@code docs/index.html} for
     * the index of {@code /docs/}); for a file reached by a link out of the root, the request's path below the prefix.
     */
    private java.nio.file.Path relativePath(RootDirectory.Opened file, RequestPath below) {
        java.nio.file.Path real = file.path();
        return real.startsWith(root.path()) ? root.path().relativize(real)
                : java.nio.file.Path.of("", below.segments().toArray(String[]::new));
    }

    /** The request path below the prefix, or {@code null} when the request is not under the prefix. */
    private @Nullable RequestPath below(RequestPath path) {
        if (prefix.isEmpty()) {
            return path;
        }
        List<String> segments = path.segments();
        if (segments.size() < prefix.size() || !segments.subList(0, prefix.size()).equals(prefix)) {
            return null;
        }
        return new RequestPath(segments.subList(prefix.size(), segments.size()), path.trailingSlash());
    }

    /** Whether {@code target} names a path under this exchange's prefix (always, without one; never, if malformed). */
    public boolean isUnderPrefix(String target) {
        try {
            return below(RequestPath.parse(target)) != null;
        } catch (RequestPath.InvalidPathException e) {
            return false;
        }
    }

    /**
     * The answer to one request: status, headers (without {@code Date}, {@code Server} or {@code Connection}, which
     * the front end adds), the body parts, and the file they are cut from.
     *
     * <h2>Ownership</h2>
     * Owns {@link #file()} when it is not null; {@link #close()} closes it (idempotent). The front end closes the
     * response once its body is written, failed or abandoned.
     *
     * <h2>Access log</h2>
     * The front end calls {@link #complete} once the response has ended, whatever the outcome; closing does not log
     * (a response dropped for another, such as a {@code 503} sent instead, is never completed and so never logged).
     */
    public static final class FileResponse implements AutoCloseable {
        private final HttpResponseStatus status;
        private final HttpHeaders headers;
        private final List<BodyPart> body;
        private RootDirectory.@Nullable Opened file;
        private final boolean closeConnection;
        /** The request this answers (set by {@link FileExchange#answerWith}), for the access log. */
        private @Nullable Request request;
        private @Nullable AccessLog accessLog;
        private final AtomicBoolean completed = new AtomicBoolean();
        /** The target the record names, when not the one the exchange was asked with ({@link #logAs}). */
        private volatile @Nullable String loggedTarget;

        FileResponse(HttpResponseStatus status, HttpHeaders headers, List<BodyPart> body, RootDirectory.@Nullable Opened file,
                     boolean closeConnection) {
            this.status = status;
            this.headers = headers;
            this.body = List.copyOf(body);
            this.file = file;
            this.closeConnection = closeConnection;
        }

        /**
         * A plain-text error response, the one format of every front end: {@code "404 Not Found: not found\n"}, with
         * {@code Content-Length} and, for {@code HEAD}, no body; {@code 405} gets {@code Allow}, {@code 503}
         * {@code Retry-After: 1}.
         *
         * @param closeConnection whether the connection must end after this response (an unread request body, a
         *                        request that broke the protocol's rules)
         */
        public static FileResponse error(HttpResponseStatus status, String message, boolean head, boolean closeConnection) {
            byte[] text = (status + ": " + message + "\n").getBytes(StandardCharsets.UTF_8);
            HttpHeaders h = new DefaultHttpHeaders();
            h.set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            h.set(HttpHeaderNames.CONTENT_LENGTH, text.length);
            if (status.equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
                h.set(HttpHeaderNames.ALLOW, ALLOW);
            }
            if (status.equals(HttpResponseStatus.SERVICE_UNAVAILABLE)) {
                h.set(HttpHeaderNames.RETRY_AFTER, 1);
            }
            return new FileResponse(status, h, head ? List.of() : List.of(new BodyPart.Bytes(text)), null,
                    closeConnection);
        }

        /** A response whose body is {@code text} (for example a server's own status page), without a file. */
        public static FileResponse text(HttpResponseStatus status, String contentType, String text, boolean head) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            HttpHeaders h = new DefaultHttpHeaders();
            h.set(HttpHeaderNames.CONTENT_TYPE, contentType);
            h.set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            return new FileResponse(status, h, head ? List.of() : List.of(new BodyPart.Bytes(bytes)), null, false);
        }

        /** The status. */
        public HttpResponseStatus status() {
            return status;
        }

        /** The response headers; a front end may add its own ({@code Date}, {@code Server}, ...). */
        public HttpHeaders headers() {
            return headers;
        }

        /** The body, in order; empty for {@code HEAD}, 204, 304, 412 and 416. */
        public List<BodyPart> body() {
            return body;
        }

        /** Bytes of body to send. */
        public long bodyLength() {
            long n = 0;
            for (BodyPart p : body) {
                n += p.length();
            }
            return n;
        }

        /** The opened, checked file the body's file ranges come from, or null when the body has none. */
        public RootDirectory.@Nullable Opened file() {
            return file;
        }

        /** Whether the connection must end after this response. */
        public boolean closeConnection() {
            return closeConnection;
        }

        /** Closes the file, if any; idempotent. */
        @Override
        public void close() {
            RootDirectory.Opened f = file;
            file = null;
            if (f != null) {
                closeQuietly(f);
            }
        }

        /**
         * Ends this response's access-log record and hands it to the exchange's {@link AccessLog}: the first call
         * only; later calls (a second listener, a cancel after the completion) do nothing. Call it when the response
         * has ended, on any path: complete, aborted by the client, failed. A response not made or tied by a
         * {@link FileExchange} has no record: nothing is logged.
         *
         * @param outcome how the response ended
         * @param sentBytes the body bytes sent: {@link #bodyLength()} for a complete response; for one cut short, what the
         *                  front end counted the socket took, or -1 if it cannot know
         * @return whether this call logged the record (false if the response was completed already, has no request, or
         *         its log is {@linkplain AccessLog#isEnabled() off})
         */
        public boolean complete(AccessLogRecord.Outcome outcome, long sentBytes) {
            Objects.requireNonNull(outcome, "outcome");
            Request r = request;
            AccessLog log = accessLog;
            if (r == null || log == null || !completed.compareAndSet(false, true) || !log.isEnabled()) {
                return false;
            }
            String target = loggedTarget != null ? loggedTarget : r.target();
            long elapsed = System.nanoTime() - r.startNanos();
            // the arrival on the wall clock: now, less what the monotonic clock says has passed since
            Instant arrived = Instant.now().minusNanos(Math.max(0, elapsed));
            AccessLogRecord record = new AccessLogRecord(r.remoteAddress(), arrived, r.method(), target, r.protocol(),
                    status.code(), bodyLength(), sentBytes, r.headers().get(HttpHeaderNames.REFERER),
                    r.headers().get(HttpHeaderNames.USER_AGENT), Duration.ofNanos(elapsed), outcome);
            try {
                log.log(record);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, () -> "the access log " + log + " failed on " + record.line(), e);
            }
            return true;
        }

        /**
         * Names {@code target} in this response's access-log record instead of the target the exchange was asked
         * with: for a front end that asks with a path below its route's pattern (the WebFlux handler), the whole
         * request target as received, query included, so that every front end logs the same thing.
         *
         * @return this response
         */
        public FileResponse logAs(String target) {
            this.loggedTarget = Objects.requireNonNull(target, "target");
            return this;
        }

        /**
         * {@code sent}, the writing of this response by a Reactive Streams writer (Reactor Netty's {@code send}, a
         * WebFlux {@code writeWith}), completing this response's access-log record when it ends: the first of its
         * signals decides, once. {@code channel} is the response's Netty channel (an HTTP/2 stream's own), or null where
         * none is known (a mock or non-Netty server).
         *
         * <p>Reactor Netty (1.3.7) does not say plainly how a write ended, so the channel's state does: a completion
         * on a connection that is gone is an abort (a write of windows completes without an error when the connection
         * closed under it); a cancel of a response without a file body on a connection still open is that response's
         * end (it went out as one full message); an error is a failure when the file shrank or the client is still
         * there (the body writer gave up), an abort when the client left (a closed connection, or an HTTP/2 stream the
         * client reset, whose channel is still active a moment longer).
         */
        public reactor.core.publisher.Mono<Void> loggedWhenDone(reactor.core.publisher.Mono<Void> sent,
                                                               io.netty.channel.@Nullable Channel channel) {
            RootDirectory.Opened opened = file;
            return sent
                    .doOnSuccess(ignored -> {
                        if (channel != null && !channel.isActive()) {
                            complete(shrank(opened) ? AccessLogRecord.Outcome.FAILED : AccessLogRecord.Outcome.ABORTED, -1);
                        } else {
                            complete(AccessLogRecord.Outcome.COMPLETE, bodyLength());
                        }
                    })
                    .doOnError(e -> complete(shrank(opened) ? AccessLogRecord.Outcome.FAILED
                            : AccessLogRecord.Outcome.ofFailure(e, channel != null ? !clientGone(channel) : !closedUnder(e)),
                            -1))
                    .doOnCancel(() -> {
                        if (opened == null && channel != null && channel.isActive()) {
                            complete(AccessLogRecord.Outcome.COMPLETE, bodyLength());
                        } else {
                            complete(AccessLogRecord.Outcome.ABORTED, -1);
                        }
                    });
        }

        private static boolean shrank(RootDirectory.@Nullable Opened opened) {
            return opened != null && opened.shrank();
        }

        /** The connection closed, or (HTTP/2) the stream closed under a write that had not ended it. */
        private static boolean clientGone(io.netty.channel.Channel channel) {
            if (!channel.isActive()) {
                return true;
            }
            return channel instanceof io.netty.handler.codec.http2.Http2StreamChannel stream
                    && stream.stream().state() == io.netty.handler.codec.http2.Http2Stream.State.CLOSED;
        }

        /** Whether {@code e} says the connection was closed under the write (where the channel is not known). */
        private static boolean closedUnder(Throwable e) {
            for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
                if (t instanceof java.nio.channels.ClosedChannelException
                        || t.getClass().getName().equals("reactor.netty.channel.AbortedException")) {
                    return true;
                }
            }
            return false;
        }

        /** Whether {@link #complete} has logged this response's record. */
        public boolean isCompleted() {
            return completed.get();
        }

        static void closeQuietly(RootDirectory.Opened file) {
            try {
                file.close();
            } catch (IOException ignored) {
                // a read-only descriptor has nothing to flush
            }
        }

        @Override
        public String toString() {
            return "FileResponse[" + status + ", " + bodyLength() + " body bytes" + (file != null ? ", " + file.path() : "")
                    + "]";
        }
    }
}
