package io.reactivemmap.netty.contract;

import io.reactivemmap.netty.CapturingAccessLog;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.AccessLog;
import io.reactivemmap.netty.http.AccessLogRecord;
import io.reactivemmap.netty.http.CacheRules;
import io.reactivemmap.netty.http.HttpDates;
import io.reactivemmap.netty.http.HttpTestSupport;
import io.reactivemmap.netty.spring.Multipart;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The one contract every file front end passes, whatever its protocol and body mode: the {@code FileServer} over
 * HTTP/1.1 ({@code MAPPED}, {@code SENDFILE}, {@code AUTO}) and over h2c, the Reactor Netty {@code FileRoute} in each
 * body mode, and the WebFlux {@code MappedFileHandler} on a real server and on the mock one (the copy path). It is the
 * shape of Okio's {@code AbstractFileSystemTest}: the whole matrix lives here once, and a subclass only says how to
 * start its front end and how to talk to it ({@link #start}, {@link #session}). What passes on one passes on all; a
 * case a front end cannot be asked (an HTTP/1.1 request line over HTTP/2, a socket abort through a mock server) is
 * skipped with the reason, never weakened.
 *
 * <p>After every test: zero live windows and zero mapped bytes ({@link NoLeakedWindows}), no leaked Netty buffer
 * ({@link NettyLeakCheck}), and no descriptor of this process left open on a file under the served root.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
public abstract class FileExchangeContract {
    protected static final int SIZE = 200_000;
    protected static final int BIG = 32 << 20;
    /** The window size the front ends are started with, so that a 200 KB body spans several windows. */
    protected static final int WINDOW = 64 << 10;
    /** The bytes in flight per body the front ends are started with. */
    protected static final long IN_FLIGHT = 256 << 10;
    /** {@code data.bin}'s modification time: well in the past, so that {@code Last-Modified} is a strong validator. */
    /** How long a test waits for an access-log record. */
    protected static final Duration LOG_WAIT = Duration.ofSeconds(20);
    protected static final Instant MODIFIED = Instant.parse("2024-05-01T10:00:00Z");

    @TempDir
    protected Path dir;
    /** The served root: {@link HttpTestSupport#trapTree}, plus {@code data.bin} and {@code empty.bin}. */
    protected Path root;
    /** The access log of the front end under test: every record it gave. */
    protected CapturingAccessLog log;
    private Front front;

    /** A front end serving a root, as {@link #start} returns it. */
    public interface Front extends AutoCloseable {
        /** Opens a client session (one connection, or the mock server's client). */
        Session session() throws Exception;

        /** The port of a socket front end, for raw requests and real clients (curl); -1 for the mock server. */
        default int port() {
            return -1;
        }

        @Override
        void close() throws Exception;
    }

    /**
     * What the test may ask of a front end beyond the defaults, and where its access log goes; {@code cacheRules} are
     * the front end's {@code Cache-Control} rules ({@link CacheRules#NONE} but in the caching test);
     * {@code precompressed} whether it serves {@code name.br} and {@code name.gz} (off but in the precompressed tests);
     * {@code directoryListings} whether it lists directories without an index (off but in the listing tests).
     */
    public record Config(boolean serveHidden, AccessLog accessLog, CacheRules cacheRules, boolean precompressed,
                         boolean directoryListings) {
        /** Without precompressed siblings or listings. */
        public Config(boolean serveHidden, AccessLog accessLog, CacheRules cacheRules) {
            this(serveHidden, accessLog, cacheRules, false, false);
        }

        /** Without listings. */
        public Config(boolean serveHidden, AccessLog accessLog, CacheRules cacheRules, boolean precompressed) {
            this(serveHidden, accessLog, cacheRules, precompressed, false);
        }
    }

    /** A response as the client saw it. {@code reset}: the stream or connection ended it before a whole response. */
    public record Reply(int status, Map<String, String> headers, byte[] body, boolean reset) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** How a body read to its end finished: its bytes and whether all of them came. */
    public record Ending(long bytes, boolean complete) {
    }

    /** One client session: a connection (HTTP/1.1, h2c) or a mock server's client. */
    public interface Session extends AutoCloseable {
        /** One exchange on this session; {@code headerLines} are {@code "Name: value"}. */
        Reply exchange(String method, String target, byte[] body, String... headerLines) throws Exception;

        /** A GET whose body is read step by step; null where the front end cannot be read that way (the mock server). */
        Download download(String target, String... headerLines) throws Exception;

        @Override
        void close() throws Exception;
    }

    /** A response whose body the test reads piece by piece. */
    public interface Download {
        /** The status and headers. */
        Reply head();

        /** Reads exactly {@code n} more body bytes. */
        byte[] read(int n) throws IOException;

        /** Reads until the response ends, whole or cut short. */
        Ending drain() throws IOException;

        /** Gives up mid-body as a client does (HTTP/1.1: closes the connection; HTTP/2: resets the stream). */
        void abort() throws Exception;
    }

    /** Starts the front end under test, serving {@code root} with {@link #WINDOW} windows and {@link #IN_FLIGHT}. */
    protected abstract Front start(Path root, Config config) throws Exception;

    /** Where the front end is mounted: {@code ""} for a server, {@code "/files"} for a route under a prefix. */
    protected String prefix() {
        return "";
    }

    /** Whether the sessions on a socket speak h2c (HTTP/2 with prior knowledge) rather than HTTP/1.1. */
    protected boolean h2c() {
        return false;
    }

    /** Whether requests go over HTTP/1.1 on a socket (request lines, versions and {@code Host} can be sent raw). */
    protected boolean http1() {
        return !h2c();
    }

    /** A front end listening on {@code port}, which {@code stop} shuts down; its sessions follow {@link #h2c()}. */
    protected final Front onSocket(int port, AutoCloseable stop) {
        boolean h2 = h2c();
        return new Front() {
            @Override
            public Session session() throws IOException {
                return h2 ? Sessions.h2c(port) : Sessions.http1(port);
            }

            @Override
            public int port() {
                return port;
            }

            @Override
            public void close() throws Exception {
                stop.close();
            }
        };
    }

    /** Whether the front end's server is Reactor Netty, whose codec answers a {@code HTTP/2.0} request line itself. */
    protected boolean onReactorNetty() {
        return false;
    }


    /**
     * Whether the front end counts the body bytes of a response cut short ({@code AccessLogRecord.sentBytes}): the
     * {@code FileServer} does, from its socket; Reactor Netty's and WebFlux's writes complete or fail as a whole, so
     * {@code FileRoute} and {@code MappedFileHandler} log {@code -1} ({@code -} in the line) for them.
     */
    protected boolean countsSentBytes() {
        return false;
    }

    /** Whether {@code OPTIONS *} reaches the front end (a route mounted under a prefix never sees {@code *}). */
    protected boolean seesAsterisk() {
        return false;
    }

    /** The port of the front end under test; -1 for the mock server. */
    protected int port() {
        return front.port();
    }

    @BeforeEach
    void startFront() throws Exception {
        root = HttpTestSupport.trapTree(dir);
        Path data = TestFiles.pattern(root, "data.bin", SIZE);
        Files.setLastModifiedTime(data, FileTime.from(MODIFIED));
        Files.write(root.resolve("empty.bin"), new byte[0]);
        log = new CapturingAccessLog();
        front = start(root, new Config(false, log, CacheRules.NONE));
    }

    @AfterEach
    void stopFront() throws Exception {
        if (front != null) {
            front.close();
        }
        awaitNoDescriptorsUnder(root);
    }

    /** {@code path} under the front end's mount point. */
    protected String t(String path) {
        return prefix() + path;
    }

    protected Reply get(String path, String... headerLines) throws Exception {
        return exchange("GET", t(path), headerLines);
    }

    protected Reply exchange(String method, String target, String... headerLines) throws Exception {
        try (Session s = front.session()) {
            return s.exchange(method, target, new byte[0], headerLines);
        }
    }

    protected static byte[] expected(long from, long length) {
        return TestFiles.expected(from, Math.toIntExact(length));
    }

    private Download download(Session s, String path, String... headerLines) throws Exception {
        Download d = s.download(t(path), headerLines);
        assumeTrue(d != null, "this front end's client reads whole bodies only");
        return d;
    }

    // ---- 200, HEAD, index, empty ----

    @Test
    void getServesTheWholeFileWithLengthValidatorsAndExactBytes() throws Exception {
        Reply r = get("/data.bin");
        assertEquals(200, r.status());
        assertArrayEquals(expected(0, SIZE), r.body());
        assertEquals(String.valueOf(SIZE), r.header("content-length"));
        assertNull(r.header("transfer-encoding"), "a length, not chunks");
        assertEquals("bytes", r.header("accept-ranges"));
        assertEquals("application/octet-stream", r.header("content-type"));
        assertTrue(r.header("etag").startsWith("\""), r.header("etag"));
        assertEquals(MODIFIED, HttpDates.parse(r.header("last-modified")));
        assertNotNull(HttpDates.parse(r.header("date")), r.header("date"));
    }

    @Test
    void headAnswersTheHeadersOfGetWithoutABody() throws Exception {
        Reply g = get("/data.bin");
        Reply h = exchange("HEAD", t("/data.bin"));
        assertEquals(200, h.status());
        assertEquals(0, h.body().length);
        for (String name : List.of("content-length", "content-type", "etag", "last-modified", "accept-ranges")) {
            assertEquals(g.header(name), h.header(name), name);
        }
        // RFC 9110 §14.2: GET is the only method range handling is defined for; a Range on HEAD is ignored.
        Reply range = exchange("HEAD", t("/data.bin"), "Range: bytes=10-19");
        assertEquals(200, range.status());
        assertEquals(String.valueOf(SIZE), range.header("content-length"));
        assertNull(range.header("content-range"));
        assertEquals(0, range.body().length);
    }

    @Test
    void directoriesServeTheirIndexAndNothingElse() throws Exception {
        Reply index = get("/docs/");
        assertEquals(200, index.status());
        assertEquals("<p>docs</p>", index.text());
        assertEquals("text/html; charset=utf-8", index.header("content-type"));
        assertEquals(200, get("/docs").status(), "a directory's name without the slash");
        assertEquals("<p>docs</p>", get("/docs//./index.html").text(), "empty and dot segments are dropped");
        assertEquals(404, get("/").status(), "no listing of a directory without index.html");
        assertEquals(404, get("/empty/").status());
        assertEquals(404, get("/a.txt/").status(), "a file name followed by a slash names a directory");
        assertEquals(404, get("/missing.bin").status());
    }

    @Test
    void anEmptyFileIsAnEmpty200AndAnyRangeOfItIs416() throws Exception {
        Reply r = get("/empty.bin");
        assertEquals(200, r.status());
        assertEquals("0", r.header("content-length"));
        assertEquals(0, r.body().length);
        Reply range = get("/empty.bin", "Range: bytes=0-");
        assertEquals(416, range.status());
        assertEquals("bytes */0", range.header("content-range"));
    }

    // ---- ranges ----

    @Test
    void singleSuffixOpenAndOverflowingRangesAre206WithExactBytes() throws Exception {
        Reply r = get("/data.bin", "Range: bytes=1000-1999");
        assertEquals(206, r.status());
        assertEquals("bytes 1000-1999/" + SIZE, r.header("content-range"));
        assertEquals("1000", r.header("content-length"));
        assertArrayEquals(expected(1000, 1000), r.body());
        Reply suffix = get("/data.bin", "Range: bytes=-100");
        assertEquals("bytes " + (SIZE - 100) + "-" + (SIZE - 1) + "/" + SIZE, suffix.header("content-range"));
        assertArrayEquals(expected(SIZE - 100, 100), suffix.body());
        assertArrayEquals(expected(199_000, 1000), get("/data.bin", "Range: bytes=199000-").body());
        Reply pastTheEnd = get("/data.bin", "Range: bytes=" + (SIZE - 10) + "-" + (SIZE + 1000));
        assertEquals(206, pastTheEnd.status());
        assertArrayEquals(expected(SIZE - 10, 10), pastTheEnd.body(), "a last byte past the end is the end");
        Reply huge = get("/data.bin", "Range: bytes=0-18446744073709551615");
        assertEquals(206, huge.status(), "a last position beyond a long is still the end of the file");
        assertArrayEquals(expected(0, SIZE), huge.body());
        Reply longSuffix = get("/data.bin", "Range: bytes=-99999999999999999999");
        assertEquals(206, longSuffix.status(), "a suffix longer than the file is the file");
        assertEquals(SIZE, longSuffix.body().length);
    }

    @Test
    void multipleRangesAreMultipartByterangesWithExactParts() throws Exception {
        Reply r = get("/data.bin", "Range: bytes=0-9,100000-100099,-5");
        assertEquals(206, r.status());
        assertEquals(Long.parseLong(r.header("content-length")), r.body().length, "the length is exact");
        List<Multipart.Part> parts = Multipart.parse(r.body(), Multipart.boundary(r.header("content-type")));
        long[][] ranges = {{0, 9}, {100_000, 100_099}, {SIZE - 5, SIZE - 1}};
        assertEquals(ranges.length, parts.size());
        for (int i = 0; i < ranges.length; i++) {
            Multipart.Part p = parts.get(i);
            assertEquals(ranges[i][0], p.first(), "part " + i);
            assertEquals(ranges[i][1], p.last(), "part " + i);
            assertEquals(SIZE, p.size(), "part " + i);
            assertArrayEquals(expected(ranges[i][0], ranges[i][1] - ranges[i][0] + 1), p.bytes(), "part " + i);
        }
    }

    @Test
    void overlappingRangesAreCoalescedAndTooManyRangesServeTheWholeFile() throws Exception {
        Reply merged = get("/data.bin", "Range: bytes=0-99,50-149,150-199");
        assertEquals(206, merged.status());
        assertEquals("bytes 0-199/" + SIZE, merged.header("content-range"));
        assertArrayEquals(expected(0, 200), merged.body());
        StringBuilder many = new StringBuilder("Range: bytes=");
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append(i * 1000).append('-').append(i * 1000 + 1);
        }
        Reply whole = get("/data.bin", many.toString());
        assertEquals(200, whole.status(), "more than 16 parts: RangeLimits.DEFAULT serves the whole file");
        assertArrayEquals(expected(0, SIZE), whole.body());
    }

    @Test
    void unsatisfiableRangesAre416WithTheLengthAndInvalidOnesAreIgnored() throws Exception {
        for (String range : List.of("bytes=" + SIZE + "-", "bytes=-0", "bytes=99999999999999999999999-",
                "bytes=" + SIZE + "-" + (SIZE + 5))) {
            Reply r = get("/data.bin", "Range: " + range);
            assertEquals(416, r.status(), range);
            assertEquals("bytes */" + SIZE, r.header("content-range"), range);
        }
        for (String range : List.of("bytes=5-1", "items=0-1", "bytes=a-b", "bytes=", "bytes=1-2-3", "garbage")) {
            Reply r = get("/data.bin", "Range: " + range);
            assertEquals(200, r.status(), range);
            assertArrayEquals(expected(0, SIZE), r.body(), range);
        }
    }

    // ---- conditional requests ----

    @Test
    void ifRangeHonoursTheRangeOnlyForTheCurrentRepresentationByEtagOrDate() throws Exception {
        Reply first = get("/data.bin");
        String etag = first.header("etag");
        String lastModified = first.header("last-modified");
        assertEquals(206, get("/data.bin", "Range: bytes=0-0", "If-Range: " + etag).status());
        assertEquals(200, get("/data.bin", "Range: bytes=0-0", "If-Range: \"stale\"").status());
        assertEquals(206, get("/data.bin", "Range: bytes=0-0", "If-Range: " + lastModified).status());
        Reply stale = get("/data.bin", "Range: bytes=0-0", "If-Range: " + HttpDates.format(MODIFIED.minusSeconds(3600)));
        assertEquals(200, stale.status(), "an older date: the whole current file");
        assertArrayEquals(expected(0, SIZE), stale.body());
        assertEquals(200, get("/data.bin", "Range: bytes=0-0", "If-Range: W/" + etag).status(),
                "a weak tag never matches If-Range");
    }

    @Test
    void matchingValidatorsGive304AndFailedPreconditionsGive412() throws Exception {
        Reply first = get("/data.bin");
        String etag = first.header("etag");
        String lastModified = first.header("last-modified");
        Reply cached = get("/data.bin", "If-None-Match: " + etag);
        assertEquals(304, cached.status());
        assertEquals(0, cached.body().length);
        assertEquals(etag, cached.header("etag"));
        assertEquals(304, get("/data.bin", "If-None-Match: \"x\", " + etag).status());
        assertEquals(304, get("/data.bin", "If-None-Match: *").status());
        assertEquals(304, get("/data.bin", "If-Modified-Since: " + lastModified).status());
        assertEquals(200, get("/data.bin", "If-None-Match: \"other\"", "If-Modified-Since: " + lastModified).status(),
                "If-None-Match decides when both are sent");
        assertEquals(200, get("/data.bin", "If-Modified-Since: " + HttpDates.format(MODIFIED.minusSeconds(1))).status());
        assertEquals(412, get("/data.bin", "If-Match: \"other\"").status());
        assertEquals(200, get("/data.bin", "If-Match: " + etag).status());
        assertEquals(412, get("/data.bin", "If-Unmodified-Since: " + HttpDates.format(MODIFIED.minusSeconds(60))).status());
        assertEquals(206, get("/data.bin", "If-Unmodified-Since: " + lastModified, "Range: bytes=0-0").status());
    }

    // ---- methods and versions ----

    @Test
    void otherMethodsGet405WithAllowAndTheSessionGoesOn() throws Exception {
        try (Session s = front.session()) {
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW")) {
                Reply r = s.exchange(method, t("/data.bin"), new byte[0]);
                assertEquals(405, r.status(), method);
                assertEquals("GET, HEAD", r.header("allow"), method);
            }
        }
        try (Session s = front.session()) {
            Reply post = s.exchange("POST", t("/a.txt"), "x".getBytes(StandardCharsets.US_ASCII));
            assertEquals(405, post.status(), "a method with a body");
            assertEquals("GET, HEAD", post.header("allow"));
        }
    }

    @Test
    void versionsTheServerDoesNotImplementGet505AndHostRulesHold() throws Exception {
        assumeTrue(http1(), "an HTTP/2 stream has no request line and no Host header");
        if (onReactorNetty()) {
            io.reactivemmap.netty.http.RequestRulesCases.assertAllOnReactorNetty(port(), t("/data.bin"));
        } else {
            io.reactivemmap.netty.http.RequestRulesCases.assertAll(port(), t("/data.bin"));
        }
    }

    @Test
    void optionsAsteriskIsAnsweredWithWhatTheServerAllows() throws Exception {
        assumeTrue(http1() && seesAsterisk(), "OPTIONS * does not reach a route mounted under a prefix");
        io.reactivemmap.netty.http.RequestRulesCases.assertOptionsAsterisk(port(), t("/a.txt"));
    }

    // ---- what may not be reached ----

    /** The hostile corpus: every target must be refused (4xx or a reset) without a byte of what it aims at. */
    protected List<String> hostileTargets() {
        List<String> targets = new ArrayList<>();
        for (String t : HttpTestSupport.REJECTED_TARGETS) {
            if (!t.isEmpty() && t.startsWith("/") && (!http1() || t.chars().noneMatch(c -> c == ' ' || c == '\t' || c > 0x7e))) {
                targets.add(t(t));
            }
        }
        for (String t : List.of("/link-out", "/dir-link-out/secret.txt", "/.env", "/.git/config", "/%2eenv",
                "/visible-link-to-hidden", "/fifo", "/%2e%2e/outside/secret.txt", "/..%2foutside/secret.txt",
                "/..%5coutside%5csecret.txt", "/..\\outside\\secret.txt", "/%252e%252e/outside/secret.txt",
                "/%c0%ae%c0%ae/outside/secret.txt", "/%E2%80%A4%E2%80%A4/outside/secret.txt", "/%2e%2e%2f%2e%2e%2fstatic1/secret.txt",
                "//../outside/secret.txt", "/./../outside/secret.txt", "/docs/../../outside/secret.txt", "/a.txt%00.html",
                "/a%00", "/%00", "/docs%2f..%2f..%2foutside/secret.txt", "/../static1/secret.txt")) {
            targets.add(t(t));
        }
        if (http1()) {
            targets.add("http://127.0.0.1" + t("/../outside/secret.txt"));
            targets.add("http://127.0.0.1" + t("/%2e%2e/outside/secret.txt"));
        }
        return targets;
    }

    @Test
    void theHostileTargetCorpusIsRefusedAndLeaksNothing() throws Exception {
        for (String target : hostileTargets()) {
            Reply r;
            try (Session s = front.session()) {
                r = s.exchange("GET", target, new byte[0]);
            }
            assertTrue(r.reset() || r.status() == 400 || r.status() == 404 || r.status() == 414,
                    target + " -> " + r.status() + " " + r.text());
            String body = r.text();
            assertFalse(body.contains("secret") || body.contains("SECRET") || body.contains("sibling") || body.contains("[core]"),
                    target + " leaked: " + body);
        }
        assertEquals(200, get("/a.txt").status(), "the front end goes on serving");
    }

    @Test
    void linksInsideTheRootAreFollowedAndHiddenFilesServedOnlyWhenAsked() throws Exception {
        Reply in = get("/link-in");
        assertEquals(200, in.status());
        assertEquals("a", in.text());
        assertEquals(404, get("/.env").status());
        assertEquals(404, get("/visible-link-to-hidden").status(), "a visible name for a hidden file");
        try (Front open = start(root, new Config(true, AccessLog.NONE, CacheRules.NONE))) {
            Reply hidden;
            try (Session s = open.session()) {
                hidden = s.exchange("GET", t("/.env"), new byte[0]);
            }
            assertEquals(200, hidden.status());
            assertEquals("SECRET=1", hidden.text());
        }
    }

    // ---- caching ----

    @Test
    void cacheRulesGiveFileResponsesTheirCacheControlAndExpiresButNotErrors() throws Exception {
        Files.createDirectories(root.resolve("assets/img"));
        Files.writeString(root.resolve("assets/app.css"), "body { color: red }");
        Files.writeString(root.resolve("assets/img/logo.svg"), "<svg/>");
        String immutable = "public, max-age=31536000, immutable";
        CacheRules rules = CacheRules.builder()
                .defaultCacheControl("no-cache")
                .rule("docs/index.html", "max-age=60")
                .rule("assets/**", immutable)
                .expires(true)
                .build();

        Reply plain = get("/assets/app.css");
        assertEquals(200, plain.status());
        assertNull(plain.header("cache-control"), "no rules, no header");
        assertNull(plain.header("expires"));

        try (Front cached = start(root, new Config(false, AccessLog.NONE, rules)); Session s = cached.session()) {
            Reply whole = s.exchange("GET", t("/assets/app.css"), new byte[0]);
            assertEquals(200, whole.status());
            assertEquals("body { color: red }", whole.text());
            assertCached(whole, immutable, 31_536_000L);

            Reply part = s.exchange("GET", t("/assets/img/logo.svg"), new byte[0], "Range: bytes=0-1");
            assertEquals(206, part.status());
            assertEquals("<s", part.text());
            assertCached(part, immutable, 31_536_000L);

            Reply notModified = s.exchange("GET", t("/assets/app.css"), new byte[0],
                    "If-None-Match: " + whole.header("etag"));
            assertEquals(304, notModified.status());
            assertCached(notModified, immutable, 31_536_000L);

            Reply head = s.exchange("HEAD", t("/assets/app.css"), new byte[0]);
            assertEquals(200, head.status());
            assertCached(head, immutable, 31_536_000L);

            Reply index = s.exchange("GET", t("/docs/"), new byte[0]);
            assertEquals(200, index.status());
            assertEquals("<p>docs</p>", index.text());
            assertCached(index, "max-age=60", 60L);

            Reply other = s.exchange("GET", t("/data.bin"), new byte[0], "Range: bytes=0-9");
            assertEquals(206, other.status());
            assertEquals("no-cache", other.header("cache-control"), "the default, for a path no rule matches");
            assertNull(other.header("expires"), "no max-age, no Expires");

            Reply missing = s.exchange("GET", t("/assets/missing.css"), new byte[0]);
            assertEquals(404, missing.status());
            assertNull(missing.header("cache-control"), "an error is not cached by rule");
            assertNull(missing.header("expires"));
        }
    }

    private static void assertCached(Reply r, String cacheControl, long maxAge) {
        assertEquals(cacheControl, r.header("cache-control"), () -> r.status() + " " + r.headers());
        String date = r.header("date");
        String expires = r.header("expires");
        assertNotNull(date, () -> "Date: " + r.headers());
        assertNotNull(expires, () -> "Expires: " + r.headers());
        assertEquals(HttpDates.parse(date).plusSeconds(maxAge), HttpDates.parse(expires), () -> "Expires = Date + "
                + maxAge + ": " + r.headers());
    }

    // ---- precompressed siblings ----

    /** {@code app.js}'s identity bytes. */
    private static final String APP_JS = "console.log('the identity of app.js');\n".repeat(100);
    /** {@code app.js.br}: patterned bytes over several windows, so that its ranges cross windows. */
    private static final int BR_SIZE = 150_000;
    /** {@code app.js.gz}: patterned bytes from another offset and of another size than the brotli sibling. */
    private static final int GZ_SIZE = 90_000;
    private static final long GZ_OFFSET = 7_777;
    private static final Instant BR_MODIFIED = Instant.parse("2024-06-01T08:00:00Z");
    private static final Instant GZ_MODIFIED = Instant.parse("2024-06-02T09:00:00Z");

    /**
     * Beside the usual tree: {@code app.js} with {@code app.js.br} and {@code app.js.gz}, {@code style.css} with only
     * {@code style.css.gz}, {@code docs/index.html.gz}; then a front end serving them.
     */
    private Front precompressedFront() throws Exception {
        Files.writeString(root.resolve("app.js"), APP_JS);
        Files.setLastModifiedTime(root.resolve("app.js"), FileTime.from(MODIFIED));
        Files.setLastModifiedTime(TestFiles.pattern(root, "app.js.br", BR_SIZE), FileTime.from(BR_MODIFIED));
        Files.write(root.resolve("app.js.gz"), expected(GZ_OFFSET, GZ_SIZE));
        Files.setLastModifiedTime(root.resolve("app.js.gz"), FileTime.from(GZ_MODIFIED));
        Files.writeString(root.resolve("style.css"), "body { color: red }");
        Files.writeString(root.resolve("style.css.gz"), "gzip of style.css");
        Files.writeString(root.resolve("docs/index.html.gz"), "gzip of the docs index");
        return start(root, new Config(false, AccessLog.NONE, CacheRules.NONE, true));
    }

    private static Reply on(Front front, String method, String target, String... headerLines) throws Exception {
        try (Session s = front.session()) {
            return s.exchange(method, target, new byte[0], headerLines);
        }
    }

    private static boolean variesByEncoding(Reply r) {
        String vary = r.header("vary");
        return vary != null && vary.toLowerCase(Locale.ROOT).contains("accept-encoding");
    }

    private static void assertVaries(Reply r) {
        assertTrue(variesByEncoding(r), () -> "Vary: Accept-Encoding on " + r.status() + " " + r.headers());
    }

    private static void assertDoesNotVary(Reply r) {
        assertFalse(variesByEncoding(r), () -> "no Vary: Accept-Encoding on " + r.status() + " " + r.headers());
    }

    @Test
    void precompressedBrIsServedWithTheNamesTypeItsOwnValidatorsAndVary() throws Exception {
        try (Front pre = precompressedFront()) {
            Reply identity = on(pre, "GET", t("/app.js"));
            assertEquals(200, identity.status());
            assertEquals(APP_JS, identity.text(), "no Accept-Encoding: the identity");
            assertNull(identity.header("content-encoding"));
            assertVaries(identity);

            Reply br = on(pre, "GET", t("/app.js"), "Accept-Encoding: gzip, deflate, br, zstd");
            assertEquals(200, br.status());
            assertEquals("br", br.header("content-encoding"));
            assertEquals("text/javascript; charset=utf-8", br.header("content-type"), "the type of app.js");
            assertEquals(String.valueOf(BR_SIZE), br.header("content-length"));
            assertArrayEquals(expected(0, BR_SIZE), br.body(), "app.js.br's bytes, as they are");
            assertEquals(BR_MODIFIED, HttpDates.parse(br.header("last-modified")), "the sibling's own time");
            assertTrue(br.header("etag").startsWith("\"") && br.header("etag").endsWith("-br\""), br.header("etag"));
            assertFalse(br.header("etag").equals(identity.header("etag")), "another representation, another tag");
            assertVaries(br);

            Reply head = on(pre, "HEAD", t("/app.js"), "Accept-Encoding: br");
            assertEquals(200, head.status());
            assertEquals(0, head.body().length);
            for (String name : List.of("content-encoding", "content-type", "content-length", "etag", "last-modified")) {
                assertEquals(br.header(name), head.header(name), name);
            }
            assertVaries(head);
        }
    }

    @Test
    void precompressedGzipIsServedWhenTheClientPrefersItOrNoBrotliSiblingExists() throws Exception {
        try (Front pre = precompressedFront()) {
            for (String accept : List.of("gzip", "br;q=0.5, gzip", "X-GZIP", "br;q=0, *")) {
                Reply gz = on(pre, "GET", t("/app.js"), "Accept-Encoding: " + accept);
                assertEquals(200, gz.status(), accept);
                assertEquals("gzip", gz.header("content-encoding"), accept);
                assertEquals("text/javascript; charset=utf-8", gz.header("content-type"), accept);
                assertArrayEquals(expected(GZ_OFFSET, GZ_SIZE), gz.body(), accept);
                assertEquals(GZ_MODIFIED, HttpDates.parse(gz.header("last-modified")), accept);
                assertTrue(gz.header("etag").endsWith("-gzip\""), gz.header("etag"));
                assertVaries(gz);
            }
            Reply css = on(pre, "GET", t("/style.css"), "Accept-Encoding: br, gzip");
            assertEquals("gzip", css.header("content-encoding"), "br is preferred, but only gzip is there");
            assertEquals("gzip of style.css", css.text());
            assertEquals("text/css; charset=utf-8", css.header("content-type"));
            assertVaries(css);
            Reply index = on(pre, "GET", t("/docs/"), "Accept-Encoding: gzip");
            assertEquals("gzip", index.header("content-encoding"), "a directory's index has siblings too");
            assertEquals("gzip of the docs index", index.text());
            assertEquals("text/html; charset=utf-8", index.header("content-type"));
        }
    }

    @Test
    void precompressedNoneAcceptableServesTheIdentityWithVary() throws Exception {
        try (Front pre = precompressedFront()) {
            for (String accept : List.of("deflate", "br;q=0, gzip;q=0", "gzip;q=0.5, br;q=0.5, identity",
                    "identity;q=0", "*;q=0", "br;q=2, gzip;q=0.1234, zstd", "")) {
                Reply r = on(pre, "GET", t("/app.js"), "Accept-Encoding: " + accept);
                assertEquals(200, r.status(), accept);
                assertNull(r.header("content-encoding"), accept);
                assertEquals(APP_JS, r.text(), "identity for '" + accept + "' (a refused identity is served anyway)");
                assertVaries(r);
            }
        }
    }

    @Test
    void precompressedAbsentSiblingsMeanNoVaryAndASiblingRequestedByNameIsServedAsItIs() throws Exception {
        try (Front pre = precompressedFront()) {
            Reply plain = on(pre, "GET", t("/data.bin"), "Accept-Encoding: br, gzip");
            assertEquals(200, plain.status());
            assertNull(plain.header("content-encoding"));
            assertDoesNotVary(plain);
            assertDoesNotVary(on(pre, "GET", t("/data.bin"), "Accept-Encoding: br", "Range: bytes=0-9"));
            assertDoesNotVary(on(pre, "GET", t("/data.bin"), "Accept-Encoding: br", "If-None-Match: " + plain.header("etag")));

            Reply gz = on(pre, "GET", t("/app.js.gz"), "Accept-Encoding: gzip");
            assertEquals(200, gz.status());
            assertNull(gz.header("content-encoding"), "a .gz asked for by name is a gzip file, not an encoding");
            assertEquals("application/gzip", gz.header("content-type"));
            assertArrayEquals(expected(GZ_OFFSET, GZ_SIZE), gz.body());
            assertDoesNotVary(gz);
            Reply encoded = on(pre, "GET", t("/app.js"), "Accept-Encoding: gzip");
            assertFalse(gz.header("etag").equals(encoded.header("etag")), "the file and the encoding differ in tag");
        }
    }

    @Test
    void precompressedRangesCountTheEncodedBytes() throws Exception {
        try (Front pre = precompressedFront()) {
            Reply whole = on(pre, "GET", t("/app.js"), "Accept-Encoding: br");
            String etag = whole.header("etag");
            Reply part = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "Range: bytes=70000-139999");
            assertEquals(206, part.status());
            assertEquals("br", part.header("content-encoding"));
            assertEquals("bytes 70000-139999/" + BR_SIZE, part.header("content-range"));
            assertArrayEquals(expected(70_000, 70_000), part.body());
            assertVaries(part);

            Reply ifRange = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "Range: bytes=-10", "If-Range: " + etag);
            assertEquals(206, ifRange.status(), "If-Range with the encoded tag");
            assertArrayEquals(expected(BR_SIZE - 10, 10), ifRange.body());
            Reply identityTag = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "Range: bytes=-10",
                    "If-Range: " + on(pre, "GET", t("/app.js")).header("etag"));
            assertEquals(200, identityTag.status(), "the identity's tag is not the encoded representation's");
            assertEquals(BR_SIZE, identityTag.body().length);

            Reply gzPart = on(pre, "GET", t("/app.js"), "Accept-Encoding: gzip", "Range: bytes=0-99");
            assertEquals("bytes 0-99/" + GZ_SIZE, gzPart.header("content-range"));
            assertArrayEquals(expected(GZ_OFFSET, 100), gzPart.body());

            Reply beyond = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "Range: bytes=" + BR_SIZE + "-");
            assertEquals(416, beyond.status());
            assertEquals("bytes */" + BR_SIZE, beyond.header("content-range"));
            assertVaries(beyond);
        }
    }

    @Test
    void precompressedConditionalsUseTheEncodedValidatorsAnd304CarriesVary() throws Exception {
        try (Front pre = precompressedFront()) {
            String brTag = on(pre, "GET", t("/app.js"), "Accept-Encoding: br").header("etag");
            String identityTag = on(pre, "GET", t("/app.js")).header("etag");
            Reply cached = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "If-None-Match: " + brTag);
            assertEquals(304, cached.status());
            assertEquals(brTag, cached.header("etag"));
            assertEquals(0, cached.body().length);
            assertVaries(cached);
            Reply stale = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "If-None-Match: " + identityTag);
            assertEquals(200, stale.status(), "the identity's tag does not match the brotli bytes");
            assertEquals("br", stale.header("content-encoding"));
            Reply identity304 = on(pre, "GET", t("/app.js"), "If-None-Match: " + identityTag);
            assertEquals(304, identity304.status());
            assertVaries(identity304);
            Reply failed = on(pre, "GET", t("/app.js"), "Accept-Encoding: br", "If-Match: " + identityTag);
            assertEquals(412, failed.status());
            assertVaries(failed);
            assertEquals(304, on(pre, "GET", t("/app.js"), "Accept-Encoding: br",
                    "If-Modified-Since: " + HttpDates.format(BR_MODIFIED)).status(), "the sibling's Last-Modified");
        }
    }

    @Test
    void precompressedSiblingsThatFailTheRootsChecksAreNotUsed() throws Exception {
        Files.writeString(root.resolve("page.html"), "<p>page</p>");
        Files.writeString(root.resolve(".page.br"), "hidden brotli");
        Files.createSymbolicLink(root.resolve("page.html.br"), Path.of(".page.br"));
        Files.writeString(dir.resolve("outside/page.gz"), "gzip outside the root");
        Files.createSymbolicLink(root.resolve("page.html.gz"), Path.of("../outside/page.gz"));
        Files.writeString(root.resolve("other.html"), "<p>other</p>");
        Files.createDirectories(root.resolve("other.html.gz"));
        Files.writeString(root.resolve(".secret.html"), "<p>hidden</p>");
        Files.writeString(root.resolve(".secret.html.gz"), "hidden gzip");
        try (Front pre = precompressedFront()) {
            Reply page = on(pre, "GET", t("/page.html"), "Accept-Encoding: br, gzip");
            assertEquals(200, page.status());
            assertNull(page.header("content-encoding"), "a link to a hidden file, a link out of the root: absent");
            assertEquals("<p>page</p>", page.text());
            assertDoesNotVary(page);
            Reply other = on(pre, "GET", t("/other.html"), "Accept-Encoding: gzip");
            assertEquals("<p>other</p>", other.text(), "a directory named like a sibling is not one");
            assertDoesNotVary(other);
            assertEquals(404, on(pre, "GET", t("/.secret.html"), "Accept-Encoding: gzip").status(),
                    "a hidden name has no sibling to serve either");
        }
    }

    @Test
    void precompressedOffServesTheIdentityWithoutVary() throws Exception {
        try (Front pre = precompressedFront()) {
            assertEquals("br", on(pre, "GET", t("/app.js"), "Accept-Encoding: br").header("content-encoding"),
                    "the same tree with the option on");
        }
        Reply r = get("/app.js", "Accept-Encoding: br, gzip");
        assertEquals(200, r.status());
        assertEquals(APP_JS, r.text());
        assertNull(r.header("content-encoding"));
        assertDoesNotVary(r);
    }

    // ---- directory listings ----

    /**
     * The path a listing's title names for {@code path} under the mount point: the whole request path where the
     * exchange sees it; the WebFlux handler asks with the path below its route's pattern, and its titles show that.
     */
    protected String titled(String path) {
        return t(path);
    }

    /** A front end like the default one but listing directories without an index (hidden files served if asked). */
    private Front listingFront(boolean serveHidden) throws Exception {
        return start(root, new Config(serveHidden, AccessLog.NONE, CacheRules.NONE, false, true));
    }

    /** One listed entry as the page shows it: the href as written, the name as text, the size and date cells. */
    private record Listed(String href, String name, String size, String modified) {
    }

    private static final java.util.regex.Pattern ROW = java.util.regex.Pattern.compile(
            "<tr><td><a href=\"([^\"]*)\">([^<]*)</a></td><td class=\"size\">([^<]*)</td><td>([^<]*)</td></tr>");

    /** The rows of a listing page, "../" included, in page order. */
    private static List<Listed> rows(Reply listing) {
        List<Listed> rows = new ArrayList<>();
        java.util.regex.Matcher m = ROW.matcher(listing.text());
        while (m.find()) {
            rows.add(new Listed(unescape(m.group(1)), unescape(m.group(2)), m.group(3), m.group(4)));
        }
        return rows;
    }

    /** The five character references a listing uses, undone (an independent oracle of the server's escaping). */
    private static String unescape(String html) {
        return html.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    private static List<String> names(List<Listed> rows) {
        return rows.stream().map(Listed::name).toList();
    }

    /** {@code name} as a path segment, by the JDK's form encoder (spaces as %20): another oracle than the server's. */
    private static String segment(String name) {
        return java.net.URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void assertListingHeaders(Reply r) {
        assertEquals(200, r.status(), () -> r.status() + " " + r.text());
        assertEquals("text/html; charset=utf-8", r.header("content-type"));
        assertEquals("nosniff", r.header("x-content-type-options"));
        assertEquals("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                + "frame-ancestors 'none'", r.header("content-security-policy"));
        assertNull(r.header("accept-ranges"), "a listing is not served in ranges");
        assertEquals("no-cache", r.header("cache-control"));
        assertTrue(r.header("etag").startsWith("W/\""), r.header("etag"));
        assertNull(r.header("last-modified"));
    }

    /**
     * A directory of names that break naive listings: markup, quotes, ampersands, percent, fragment and query marks,
     * a colon, UTF-8 (where the platform names files in UTF-8), plus what must not be listed: a backslash and a line
     * feed (no request can name them), a link out of the root, a socket.
     */
    private Path hostileNames() throws Exception {
        Path names = Files.createDirectories(root.resolve("names"));
        List<String> files = new ArrayList<>(List.of("<img src=x onerror=alert(1)>.txt", "a&b \"q\".txt", "100%.bin",
                "#frag?.txt", "it's.txt", "a:b.txt", "Zeta.txt", "plus+sign.txt", "back\\slash.txt", "new\nline.txt"));
        if ("UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"))) {
            files.addAll(List.of("h\u00e9llo w\u00f6rld \u2603.txt", "\uFF21.txt", "\uD83D\uDE00.txt"));
        }
        for (String name : files) {
            Files.writeString(names.resolve(name), "file " + name);
        }
        Files.createDirectories(names.resolve("sub dir"));
        Files.writeString(names.resolve("sub dir/inner.txt"), "inner");
        Files.createDirectories(names.resolve("x<b>'&\""));
        Files.createSymbolicLink(names.resolve("to-docs"), Path.of("../docs"));
        Files.createSymbolicLink(names.resolve("to-outside"), Path.of("../../outside"));
        Files.createSymbolicLink(names.resolve("to-secret"), Path.of("../../outside/secret.txt"));
        Files.createSymbolicLink(names.resolve("dangling"), Path.of("nowhere"));
        try (var socket = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            socket.bind(java.net.UnixDomainSocketAddress.of(names.resolve("sock")));
        }
        return names;
    }

    /**
     * The property: every link of the listing at {@code dirPath} (a path with its slash) is answered as the entry it
     * names (a file's bytes, a directory's index or listing), and every entry of {@code dir} the listing leaves out is
     * refused as a GET of it is today (400 or 404).
     */
    private void assertListedIsServedAndUnlistedIsRefused(Front listing, String dirPath, Path dir) throws Exception {
        Reply page = on(listing, "GET", t(dirPath));
        assertListingHeaders(page);
        java.net.URI base = java.net.URI.create("http://127.0.0.1" + t(dirPath));
        java.util.Set<String> listed = new java.util.HashSet<>();
        for (Listed row : rows(page)) {
            String target = base.resolve(row.href()).getRawPath();
            Reply r = on(listing, "GET", target);
            assertEquals(200, r.status(), () -> row + " -> " + target + " " + r.text());
            if (row.name().equals("../")) {
                continue;
            }
            listed.add(row.name());
            Path entry = dir.resolve(row.name().endsWith("/") ? row.name().substring(0, row.name().length() - 1)
                    : row.name());
            if (Files.isDirectory(entry)) {
                assertTrue(row.name().endsWith("/"), row.name());
                assertEquals("text/html; charset=utf-8", r.header("content-type"), target);
            } else {
                assertArrayEquals(Files.readAllBytes(entry), r.body(), target);
            }
        }
        try (var entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                String name = entry.getFileName().toString();
                if (listed.contains(name) || listed.contains(name + "/")) {
                    continue;
                }
                String target = t(dirPath) + segment(name);
                Reply r = on(listing, "GET", target);
                assertTrue(r.status() == 404 || r.status() == 400, () -> "not listed, yet " + target + " -> "
                        + r.status() + " " + r.text());
            }
        }
    }

    @Test
    void aListingShowsWhatAGetWouldServeDirectoriesFirstInCodePointOrder() throws Exception {
        try (Front listing = listingFront(false)) {
            Reply page = on(listing, "GET", t("/"));
            assertListingHeaders(page);
            assertEquals(Long.parseLong(page.header("content-length")), page.body().length);
            assertTrue(page.text().startsWith("<!DOCTYPE html>"), page.text());
            assertTrue(page.text().contains("<title>Index of " + titled("/") + "</title>"), page.text());
            List<Listed> rows = rows(page);
            assertEquals(List.of("docs/", "empty/", "a.txt", "data.bin", "empty.bin", "link-in"), names(rows),
                    "no hidden name, no link to one, no link out of the root, no FIFO; directories first; no ../ at the root");
            Listed data = rows.get(3);
            assertEquals(String.valueOf(SIZE), data.size());
            assertEquals("2024-05-01 10:00:00", data.modified(), "UTC, one fixed format");
            assertEquals("-", rows.get(0).size(), "a directory has no size");
            assertEquals("1", rows.get(5).size(), "a link inside the root shows its target");
            assertFalse(page.text().contains("truncated"));

            Reply empty = on(listing, "GET", t("/empty/"));
            assertListingHeaders(empty);
            assertEquals(List.of("../"), names(rows(empty)), "an empty directory lists only its parent");
            assertEquals("<p>docs</p>", on(listing, "GET", t("/docs/")).text(), "the index wins");
            assertEquals(200, on(listing, "GET", t("/docs")).status(), "an index is served without the slash, as before");

            Path names = hostileNames();
            List<String> expected = new ArrayList<>(List.of("../", "sub dir/", "to-docs/", "x<b>'&\"/", "#frag?.txt",
                    "100%.bin", "<img src=x onerror=alert(1)>.txt", "Zeta.txt", "a&b \"q\".txt", "a:b.txt"));
            boolean utf8 = Files.exists(names.resolve("\uFF21.txt"));
            if (utf8) {
                expected.add("h\u00e9llo w\u00f6rld \u2603.txt");
            }
            expected.addAll(List.of("it's.txt", "plus+sign.txt"));
            if (utf8) {
                expected.addAll(List.of("\uFF21.txt", "\uD83D\uDE00.txt"));
            }
            assertEquals(expected, names(rows(on(listing, "GET", t("/names/")))),
                    "code point order (U+FF21 before U+1F600, which UTF-16 order would swap); nothing unnameable");
        }
    }

    @Test
    void namesAreEscapedInTheTextAndPercentEncodedInTheLinks() throws Exception {
        Path names = hostileNames();
        try (Front listing = listingFront(false)) {
            String html = on(listing, "GET", t("/names/")).text();
            assertFalse(html.contains("<img"), html);
            assertTrue(html.contains(">&lt;img src=x onerror=alert(1)&gt;.txt</a>"), html);
            assertTrue(html.contains("href=\"%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.txt\""), html);
            assertTrue(html.contains(">a&amp;b &quot;q&quot;.txt</a>"), html);
            assertTrue(html.contains("href=\"a%26b%20%22q%22.txt\""), html);
            assertTrue(html.contains("href=\"100%25.bin\""), html);
            assertTrue(html.contains("href=\"%23frag%3F.txt\""), html);
            assertTrue(html.contains("href=\"a%3Ab.txt\""), "a colon cannot read as a scheme: " + html);
            assertTrue(html.contains("href=\"it%27s.txt\">it&#39;s.txt</a>"), html);
            assertTrue(html.contains("href=\"sub%20dir/\">sub dir/</a>"), html);
            if (Files.exists(names.resolve("\uFF21.txt"))) {
                assertTrue(html.contains("href=\"h%C3%A9llo%20w%C3%B6rld%20%E2%98%83.txt\">h\u00e9llo w\u00f6rld \u2603.txt</a>"),
                        html);
            }
            Reply odd = on(listing, "GET", t("/names/x%3Cb%3E'%26%22/"));
            assertListingHeaders(odd);
            assertTrue(odd.text().contains("<title>Index of " + titled("/names/x&lt;b&gt;&#39;&amp;&quot;/") + "</title>"),
                    odd.text());
            assertTrue(odd.text().contains("<a href=\"../\">../</a>"), odd.text());
        }
    }

    @Test
    void everyListedLinkIsServedAndEveryEntryLeftOutIsRefused() throws Exception {
        Path names = hostileNames();
        try (Front listing = listingFront(false)) {
            assertListedIsServedAndUnlistedIsRefused(listing, "/", root);
            assertListedIsServedAndUnlistedIsRefused(listing, "/names/", names);
            assertListedIsServedAndUnlistedIsRefused(listing, "/names/sub%20dir/", names.resolve("sub dir"));
        }
        try (Front hidden = listingFront(true)) {
            List<String> shown = names(rows(on(hidden, "GET", t("/"))));
            assertTrue(shown.containsAll(List.of(".git/", ".env", "visible-link-to-hidden")), shown.toString());
            assertFalse(shown.contains("fifo") || shown.contains("link-out") || shown.contains("dir-link-out/"),
                    shown.toString());
            assertListedIsServedAndUnlistedIsRefused(hidden, "/", root);
        }
    }

    @Test
    void aDirectoryAskedForWithoutItsSlashIsRedirectedToItKeepingTheQuery() throws Exception {
        try (Front listing = listingFront(false)) {
            Reply moved = on(listing, "GET", t("/empty"));
            assertEquals(301, moved.status(), moved.text());
            assertEquals("./empty/", moved.header("location"));
            Reply query = on(listing, "GET", t("/names-missing"));
            assertEquals(404, query.status(), "no such directory: no redirect");
            Files.createDirectories(root.resolve("a dir"));
            Reply withQuery = on(listing, "GET", t("/a%20dir?sort=name&x=%2F"));
            assertEquals(301, withQuery.status());
            assertEquals("./a%20dir/?sort=name&x=%2F", withQuery.header("location"));
            Reply head = on(listing, "HEAD", t("/empty"));
            assertEquals(301, head.status());
            assertEquals("./empty/", head.header("location"));
            assertEquals(0, head.body().length);
            String followed = java.net.URI.create("http://127.0.0.1" + t("/a%20dir?sort=name&x=%2F"))
                    .resolve(withQuery.header("location")).getRawPath();
            assertEquals(t("/a%20dir/"), followed);
            assertListingHeaders(on(listing, "GET", followed));
            assertListingHeaders(on(listing, "GET", t("/empty/.")));
            assertEquals(404, on(listing, "GET", t("/.git")).status(), "a hidden directory is not redirected to");
            assertEquals(404, on(listing, "GET", t("/dir-link-out")).status(), "nor one out of the root");
            assertEquals(404, on(listing, "GET", t("/a.txt/")).status());
        }
    }

    @Test
    void listingsOffLeaveADirectoryWithoutIndexA404WithoutARedirect() throws Exception {
        try (Front listing = listingFront(false)) {
            assertEquals(301, on(listing, "GET", t("/empty")).status(), "the same tree with listings on");
        }
        for (String path : List.of("/", "/empty/", "/empty")) {
            Reply r = get(path);
            assertEquals(404, r.status(), path);
            assertNull(r.header("location"), path);
            assertEquals("text/plain; charset=utf-8", r.header("content-type"), path);
        }
        assertEquals("<p>docs</p>", get("/docs/").text());
    }

    @Test
    void aListingIgnoresRangesAnswersHeadAndRevalidatesByItsWeakTag() throws Exception {
        try (Front listing = listingFront(false)) {
            Reply whole = on(listing, "GET", t("/"));
            Reply ranged = on(listing, "GET", t("/"), "Range: bytes=0-9");
            assertListingHeaders(ranged);
            assertNull(ranged.header("content-range"));
            assertArrayEquals(whole.body(), ranged.body(), "a Range is ignored: the whole page");
            Reply head = on(listing, "HEAD", t("/"));
            assertListingHeaders(head);
            assertEquals(0, head.body().length);
            for (String name : List.of("content-length", "etag", "content-type", "content-security-policy")) {
                assertEquals(whole.header(name), head.header(name), name);
            }
            String etag = whole.header("etag");
            Reply cached = on(listing, "GET", t("/"), "If-None-Match: " + etag);
            assertEquals(304, cached.status());
            assertEquals(etag, cached.header("etag"));
            assertEquals(0, cached.body().length);
            assertEquals(304, on(listing, "GET", t("/"), "If-None-Match: \"x\", " + etag.substring(2)).status(),
                    "weak comparison");
            assertEquals(200, on(listing, "GET", t("/"), "If-None-Match: W/\"other\"").status());
            assertEquals(412, on(listing, "GET", t("/"), "If-Match: " + etag).status(),
                    "If-Match compares strongly, and a weak tag never matches");
            Files.writeString(root.resolve("new.txt"), "new");
            Reply changed = on(listing, "GET", t("/"), "If-None-Match: " + etag);
            assertEquals(200, changed.status(), "a new entry, a new page, a new tag");
            assertTrue(names(rows(changed)).contains("new.txt"));
            assertFalse(etag.equals(changed.header("etag")));
        }
    }

    @Test
    void aDirectoryThatCannotBeReadIsA404LikeAnUnreadableFile() throws Exception {
        Path locked = Files.createDirectories(root.resolve("locked"));
        Files.writeString(locked.resolve("inside.txt"), "inside");
        Path unreadable = Files.writeString(root.resolve("unreadable.txt"), "x");
        Files.setPosixFilePermissions(locked, java.util.Set.of());
        Files.setPosixFilePermissions(unreadable, java.util.Set.of());
        try {
            assumeTrue(!Files.isReadable(unreadable), "this process reads files without permission (root)");
            try (Front listing = listingFront(false)) {
                assertEquals(404, on(listing, "GET", t("/unreadable.txt")).status());
                assertEquals(404, on(listing, "GET", t("/locked/")).status());
            }
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }

    // ---- sessions, aborts, truncation, descriptors ----

    @Test
    void oneSessionServesManyExchanges() throws Exception {
        try (Session s = front.session()) {
            for (int i = 0; i < 5; i++) {
                Reply r = s.exchange("GET", t("/data.bin"), new byte[0], "Range: bytes=" + i + "-" + (i + 9));
                assertEquals(206, r.status());
                assertArrayEquals(expected(i, 10), r.body());
            }
            assertEquals(206, s.exchange("GET", t("/data.bin"), new byte[0], "Range: bytes=0-0,10-10").status());
            assertEquals(404, s.exchange("GET", t("/missing"), new byte[0]).status());
            assertEquals(304, s.exchange("GET", t("/data.bin"), new byte[0], "If-None-Match: *").status());
            assertArrayEquals(expected(0, SIZE), s.exchange("GET", t("/data.bin"), new byte[0]).body(),
                    "every earlier body ended exactly at its length");
        }
    }

    @Test
    void everyExchangeClosesTheFileItOpened() throws Exception {
        Path data = root.resolve("data.bin");
        Reply whole = get("/data.bin");
        assertEquals(304, get("/data.bin", "If-None-Match: " + whole.header("etag")).status());
        assertEquals(412, get("/data.bin", "If-Match: \"x\"").status());
        assertEquals(416, get("/data.bin", "Range: bytes=" + SIZE + "-").status());
        assertEquals(206, get("/data.bin", "Range: bytes=0-9,100-199").status());
        assertEquals(200, exchange("HEAD", t("/data.bin")).status());
        assertEquals(405, exchange("DELETE", t("/data.bin")).status());
        TestFiles.awaitNoDescriptors(data);
    }

    @Test
    void aClientThatAbortsMidBodyLeavesNothingMappedOrOpen() throws Exception {
        Path big = TestFiles.pattern(root, "big.bin", BIG);
        List<String> ranges = List.of("", "Range: bytes=0-9,1000-" + (BIG - 1), "Range: bytes=4096-");
        for (int i = 0; i < ranges.size(); i++) {
            String range = ranges.get(i);
            try (Session s = front.session()) {
                Download d = download(s, "/big.bin?abort=" + i, range.isEmpty() ? new String[0] : new String[] {range});
                assertEquals(range.isEmpty() ? 200 : 206, d.head().status(), range);
                assertEquals(1 << 20, d.read(1 << 20).length);
                d.abort();
            }
            AccessLogRecord aborted = log.awaitOne(t("/big.bin?abort=" + i), LOG_WAIT);
            assertEquals(AccessLogRecord.Outcome.ABORTED, aborted.outcome(), aborted::toString);
            assertSentOfAnAbort(aborted);
        }
        NoLeakedWindows.assertNothingMapped();
        TestFiles.awaitNoDescriptors(big);
        assertEquals(200, get("/a.txt").status(), "the front end goes on serving");
    }

    @Test
    void aFileTruncatedMidBodyEndsTheResponseShortAndCleanly() throws Exception {
        Path big = TestFiles.pattern(root, "big.bin", BIG);
        try (Session s = front.session()) {
            Download d = download(s, "/big.bin");
            assertEquals(String.valueOf(BIG), d.head().header("content-length"));
            assertArrayEquals(expected(0, 1 << 20), d.read(1 << 20));
            try (FileChannel ch = FileChannel.open(big, StandardOpenOption.WRITE)) {
                ch.truncate(2 << 20);
            }
            Ending end = d.drain();
            assertFalse(end.complete(), "a body of " + BIG + " bytes from a file now 2 MiB long cannot end whole");
            assertTrue((1 << 20) + end.bytes() < BIG, "got " + ((1 << 20) + end.bytes()) + " of " + BIG + " bytes");
        }
        AccessLogRecord failed = log.awaitOne(t("/big.bin"), LOG_WAIT);
        assertEquals(AccessLogRecord.Outcome.FAILED, failed.outcome(), "the server gave up, the client did not leave: " + failed);
        NoLeakedWindows.assertNothingMapped();
        TestFiles.awaitNoDescriptors(big);
        assertEquals(200, get("/a.txt").status(), "the front end goes on serving");
    }

    @Test
    void everyExchangeGivesExactlyOneAccessLogRecordWithItsStatusBytesAndOutcome() throws Exception {
        assertEquals(200, get("/data.bin?log=200").status());
        assertEquals(206, get("/data.bin?log=206", "Range: bytes=10-19").status());
        assertEquals(404, get("/missing.bin?log=404").status());
        assertEquals(200, exchange("HEAD", t("/data.bin?log=head")).status());
        // a CR LF, encoded, in the target: refused (no file name has control characters) and logged on one line
        assertEquals(400, get("/nope%0d%0aGET%20/forged%20200?log=400").status());
        String protocol = port() < 0 ? "-" : h2c() ? "HTTP/2" : "HTTP/1.1"; // the mock server has no protocol
        AccessLogRecord ok = log.awaitOne(t("/data.bin?log=200"), LOG_WAIT);
        CapturingAccessLog.assertRecord(ok, "GET", t("/data.bin?log=200"), 200, SIZE, SIZE,
                AccessLogRecord.Outcome.COMPLETE);
        assertEquals(protocol, ok.protocol());
        CapturingAccessLog.assertRecord(log.awaitOne(t("/data.bin?log=206"), LOG_WAIT), "GET",
                t("/data.bin?log=206"), 206, 10, 10, AccessLogRecord.Outcome.COMPLETE);
        AccessLogRecord missing = log.awaitOne(t("/missing.bin?log=404"), LOG_WAIT);
        CapturingAccessLog.assertRecord(missing, "GET", t("/missing.bin?log=404"), 404,
                missing.plannedBytes(), missing.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);
        CapturingAccessLog.assertRecord(log.awaitOne(t("/data.bin?log=head"), LOG_WAIT), "HEAD",
                t("/data.bin?log=head"), 200, 0, 0, AccessLogRecord.Outcome.COMPLETE);
        String forgedTarget = t("/nope%0d%0aGET%20/forged%20200?log=400");
        AccessLogRecord forged = log.awaitOne(forgedTarget, LOG_WAIT);
        CapturingAccessLog.assertRecord(forged, "GET", forgedTarget, 400, forged.plannedBytes(), forged.plannedBytes(),
                AccessLogRecord.Outcome.COMPLETE);
        assertEquals(5, log.records().size(), () -> "one record per exchange: " + log.records());
        if (port() < 0) {
            return; // the mock server's client cannot leave mid-body
        }
        TestFiles.pattern(root, "big.bin", BIG);
        try (Session s = front.session()) {
            Download d = download(s, "/big.bin?log=abort");
            assertEquals(1 << 20, d.read(1 << 20).length);
            d.abort();
        }
        String abortTarget = t("/big.bin?log=abort");
        AccessLogRecord aborted = log.awaitOne(abortTarget, LOG_WAIT);
        CapturingAccessLog.assertRecord(aborted, "GET", abortTarget, 200, BIG, aborted.sentBytes(),
                AccessLogRecord.Outcome.ABORTED);
        assertSentOfAnAbort(aborted);
        assertTrue(aborted.line().endsWith(" aborted"), aborted.line());
    }

    /**
     * A body the client left after reading 1 MiB of it: where the front end counts, more than nothing and less than
     * planned, and at least what the client read but for one body's bytes in flight (the HTTP/1.1 count sees a buffer
     * the socket is part-way through as not sent); where it cannot, {@code -1}, printed {@code -}.
     */
    private void assertSentOfAnAbort(AccessLogRecord aborted) {
        if (countsSentBytes()) {
            assertTrue(aborted.sentBytes() >= (1 << 20) - IN_FLIGHT && aborted.sentBytes() < aborted.plannedBytes(),
                    () -> "0 < sent < planned, and about what the client read: " + aborted);
        } else {
            assertEquals(-1, aborted.sentBytes(), aborted::toString);
            assertTrue(aborted.line().contains("\" " + aborted.status() + " - \""), aborted.line());
        }
    }

    @Test
    void theRecordNamesTheClientTheArrivalTheRefererAndTheUserAgent() throws Exception {
        Instant before = Instant.now();
        String agent = "Mozilla/5.0 \"quoted\" \\back\\slash " + "x".repeat(3000);
        assertEquals(206, get("/data.bin?log=who", "Referer: https://example.com/page?a=1", "User-Agent: " + agent,
                "Range: bytes=0-99").status());
        assertEquals(404, get("/missing?log=nobody").status());
        Instant after = Instant.now();
        AccessLogRecord who = log.awaitOne(t("/data.bin?log=who"), LOG_WAIT);
        assertEquals("https://example.com/page?a=1", who.referer());
        assertTrue(who.userAgent().startsWith("Mozilla/5.0 \\x22quoted\\x22 \\x5Cback\\x5Cslash xxx")
                && who.userAgent().endsWith("x..."), who.userAgent());
        assertEquals(512 + 3 + 4 * 3, who.userAgent().length(), () -> "cut at 512, four escapes: " + who.userAgent());
        assertFalse(who.time().isBefore(before.minusMillis(5)) || who.time().isAfter(after), () -> before + " <= "
                + who.time() + " <= " + after);
        String line = who.line();
        assertTrue(line.contains(" 206 100 \"https://example.com/page?a=1\" \"Mozilla/5.0 \\x22quoted"), line);
        assertEquals(6, line.chars().filter(c -> c == '"').count(), () -> "three quoted fields: " + line);
        if (port() >= 0) {
            assertTrue(line.startsWith("127.0.0.1 - - ["), line);
        }
        AccessLogRecord nobody = log.awaitOne(t("/missing?log=nobody"), LOG_WAIT);
        assertEquals("-", nobody.referer());
        assertTrue(nobody.line().contains(" 404 " + nobody.sentBytes() + " \"-\" \"" + nobody.userAgent() + "\" "),
                nobody.line());
    }

    /**
     * The path is replaced by another file (as a deploy that renames files in does) while a multipart body is under
     * way: every part, also one that starts after the replacement, comes from the file that was checked, never from
     * opening the path again.
     */
    @Test
    void aFileReplacedMidBodyIsStillTheFileThatWasCheckedForEveryPart() throws Exception {
        Path big = TestFiles.pattern(root, "big.bin", BIG);
        long secondFrom = 16L << 20;
        try (Session s = front.session()) {
            Download d = download(s, "/big.bin", "Range: bytes=0-" + ((8 << 20) - 1) + "," + secondFrom + "-"
                    + (secondFrom + 99));
            assertEquals(206, d.head().status());
            int length = Integer.parseInt(d.head().header("content-length"));
            byte[] first = d.read(1 << 20);
            byte[] other = new byte[BIG];
            java.util.Arrays.fill(other, (byte) 0x55);
            Path replacement = Files.write(dir.resolve("replacement.bin"), other);
            Files.move(replacement, big, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            byte[] rest = d.read(length - first.length);
            byte[] body = new byte[length];
            System.arraycopy(first, 0, body, 0, first.length);
            System.arraycopy(rest, 0, body, first.length, rest.length);
            List<Multipart.Part> parts = Multipart.parse(body, Multipart.boundary(d.head().header("content-type")));
            assertEquals(2, parts.size());
            assertArrayEquals(expected(0, 8 << 20), parts.get(0).bytes(), "the first part");
            assertArrayEquals(expected(secondFrom, 100), parts.get(1).bytes(),
                    "the second part, begun after the path named another file");
        }
    }

    @Test
    void curlFetchesARangeAndTheWholeFile() throws Exception {
        assumeTrue(port() > 0, "no socket to point curl at");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        String url = "http://127.0.0.1:" + port() + t("/data.bin");
        String protocol = http1() ? "--http1.1" : "--http2-prior-knowledge";
        Path out = dir.resolve("curl.out");
        Process p = new ProcessBuilder("curl", "-s", "-S", "-f", protocol, "-r", "0-99", "-o", out.toString(),
                "-w", "%{http_code} %{http_version}", url).redirectErrorStream(true).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), status);
        assertEquals("206 " + (http1() ? "1.1" : "2"), status);
        assertArrayEquals(expected(0, 100), Files.readAllBytes(out));
        Process whole = new ProcessBuilder("curl", "-s", "-f", protocol, "-o", out.toString(), url).start();
        assertEquals(0, whole.waitFor());
        assertArrayEquals(expected(0, SIZE), Files.readAllBytes(out));
    }

    /** Waits for this process to hold no descriptor on a file or directory under {@code dir}, then fails naming any left. */
    static void awaitNoDescriptorsUnder(Path dir) throws Exception {
        Path real = dir.toRealPath();
        long deadline = System.nanoTime() + 5_000_000_000L;
        List<Path> open = openFilesUnder(real);
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
            open = openFilesUnder(real);
        }
        if (!open.isEmpty()) {
            fail("descriptors left open after the test: " + open);
        }
    }

    private static List<Path> openFilesUnder(Path real) throws IOException {
        List<Path> open = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    // directories too: a listing's directory stream must be closed like a file
                    if (target.startsWith(real) && (Files.isRegularFile(target) || Files.isDirectory(target))) {
                        open.add(target);
                    }
                } catch (IOException | UnsupportedOperationException gone) {
                    // closed while listing
                }
            }
        }
        return open;
    }
}
