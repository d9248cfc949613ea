package io.reactivemmap.netty.reactor;

import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.CapturingAccessLog;
import io.reactivemmap.netty.http.AccessLogRecord;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.HttpDates;
import io.reactivemmap.netty.http.HttpTestSupport;
import io.reactivemmap.netty.http.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link FileRoute} behind a real Reactor Netty {@code HttpServer}, run once per body mode by the subclasses: the
 * behaviour of the Netty file server's contract ({@code FileServerContract}) that belongs to a route rather than to a
 * server (connection limits, idle and slow-client timeouts and the stats endpoint are the {@code HttpServer}'s business).
 * Every test must leave zero windows mapped and no leaked buffer.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
abstract class FileRouteContract {
    static final int SIZE = 200_000;
    static final int BIG = 32 << 20;
    static final int WINDOW = 64 << 10;
    static final long IN_FLIGHT = 256 << 10;

    @TempDir
    Path dir;
    Path root;
    Bound server;
    HttpClient client;

    /** The body mode under test. */
    abstract BodyMode mode();

    FileRouteOptions options() {
        return FileRouteOptions.defaults(root).withBodyMode(mode()).withWindowSize(WINDOW).withMaxBytesInFlight(IN_FLIGHT);
    }

    /** The route under {@code /files}, as a user mounts it: {@link FileRoute#mount}. */
    static Bound routed(FileRouteOptions options) throws IOException {
        FileRoute files = FileRoute.of(options);
        return new Bound(HttpServer.create().host("127.0.0.1").port(0)
                .route(files::mount)
                .bindNow());
    }

    /** The route as the server's only handler: it sees every request, whatever the method or target. */
    static Bound handling(FileRouteOptions options) throws IOException {
        return new Bound(HttpServer.create().host("127.0.0.1").port(0).handle(FileRoute.of(options)).bindNow());
    }

    /** A bound server that try-with-resources can dispose of. */
    record Bound(DisposableServer server) implements AutoCloseable {
        int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.disposeNow();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        root = HttpTestSupport.trapTree(dir);
        TestFiles.pattern(root, "data.bin", SIZE);
        server = routed(options().withPrefix("/files"));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.close();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static byte[] expected(long from, long length) {
        return TestFiles.expected(from, Math.toIntExact(length));
    }

    @Test
    void getServesTheWholeFileWithValidators() throws Exception {
        HttpResponse<byte[]> r = get("/files/data.bin");
        assertEquals(200, r.statusCode());
        assertArrayEquals(expected(0, SIZE), r.body());
        assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElseThrow());
        assertTrue(r.headers().firstValue("transfer-encoding").isEmpty(), "a length, not chunks");
        assertEquals("bytes", r.headers().firstValue("accept-ranges").orElseThrow());
        assertEquals("application/octet-stream", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(r.headers().firstValue("etag").orElseThrow().startsWith("\""));
        assertNotNull(HttpDates.parse(r.headers().firstValue("last-modified").orElseThrow()));
        assertNotNull(HttpDates.parse(r.headers().firstValue("date").orElseThrow()));
    }

    @Test
    void theBodyModeDecidesWhetherWindowsAreMapped() throws Exception {
        long before = MappingStats.snapshot().windowsMapped();
        assertArrayEquals(expected(0, SIZE), get("/files/data.bin").body());
        long windows = MappingStats.snapshot().windowsMapped() - before;
        if (mode() == BodyMode.MAPPED) {
            assertTrue(windows >= SIZE / WINDOW, "mapped windows: " + windows);
        } else {
            assertEquals(0, windows, "sendfile maps nothing on a plain connection");
        }
    }

    @Test
    void headHasHeadersAndNoBody() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            RawHttp.Response r = raw.request("HEAD", "/files/data.bin");
            assertEquals(200, r.status());
            assertEquals(String.valueOf(SIZE), r.header("content-length"));
            assertNotNull(r.header("etag"));
            // The next response on the same connection starts right away: the HEAD sent no body.
            RawHttp.Response next = raw.request("GET", "/files/a.txt");
            assertEquals(200, next.status());
            assertArrayEquals("a".getBytes(StandardCharsets.US_ASCII), next.body());
        }
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/files/data.bin")).HEAD().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals(0, r.body().length);
    }

    @Test
    void rangesAreServedAs206() throws Exception {
        HttpResponse<byte[]> r = get("/files/data.bin", "Range", "bytes=1000-1999");
        assertEquals(206, r.statusCode());
        assertEquals("bytes 1000-1999/" + SIZE, r.headers().firstValue("content-range").orElseThrow());
        assertArrayEquals(expected(1000, 1000), r.body());
        HttpResponse<byte[]> suffix = get("/files/data.bin", "Range", "bytes=-100");
        assertEquals(206, suffix.statusCode());
        assertArrayEquals(expected(SIZE - 100, 100), suffix.body());
        HttpResponse<byte[]> open = get("/files/data.bin", "Range", "bytes=199000-");
        assertArrayEquals(expected(199_000, 1000), open.body());
        HttpResponse<byte[]> huge = get("/files/data.bin", "Range", "bytes=0-18446744073709551615");
        assertEquals(206, huge.statusCode());
        assertArrayEquals(expected(0, SIZE), huge.body());
    }

    @Test
    void multipleRangesAreMultipartWithExactLength() throws Exception {
        HttpResponse<byte[]> r = get("/files/data.bin", "Range", "bytes=0-9,100000-100099,-5");
        assertEquals(206, r.statusCode());
        String type = r.headers().firstValue("content-type").orElseThrow();
        assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
        String boundary = type.substring(type.indexOf("boundary=") + 9);
        String body = new String(r.body(), StandardCharsets.ISO_8859_1);
        assertEquals(Long.parseLong(r.headers().firstValue("content-length").orElseThrow()), r.body().length);
        String part1 = "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-9/"
                + SIZE + "\r\n\r\n" + new String(expected(0, 10), StandardCharsets.ISO_8859_1);
        String part2 = "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 100000-100099/"
                + SIZE + "\r\n\r\n" + new String(expected(100_000, 100), StandardCharsets.ISO_8859_1);
        String part3 = "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                + (SIZE - 5) + "-" + (SIZE - 1) + "/" + SIZE + "\r\n\r\n" + new String(expected(SIZE - 5, 5), StandardCharsets.ISO_8859_1);
        assertEquals(part1 + part2 + part3 + "\r\n--" + boundary + "--\r\n", body);
    }

    @Test
    void unsatisfiableRangesAre416() throws Exception {
        HttpResponse<byte[]> r = get("/files/data.bin", "Range", "bytes=" + SIZE + "-");
        assertEquals(416, r.statusCode());
        assertEquals("bytes */" + SIZE, r.headers().firstValue("content-range").orElseThrow());
        assertEquals(0, r.body().length);
        assertEquals(416, get("/files/data.bin", "Range", "bytes=99999999999999999999999-").statusCode());
        assertEquals(200, get("/files/data.bin", "Range", "bytes=garbage").statusCode(), "invalid syntax is ignored");
    }

    @Test
    void conditionalRequestsGet304And412AndIfRangeDecidesTheRange() throws Exception {
        HttpResponse<byte[]> first = get("/files/data.bin");
        String etag = first.headers().firstValue("etag").orElseThrow();
        String lastModified = first.headers().firstValue("last-modified").orElseThrow();
        HttpResponse<byte[]> cached = get("/files/data.bin", "If-None-Match", etag);
        assertEquals(304, cached.statusCode());
        assertEquals(0, cached.body().length);
        assertEquals(etag, cached.headers().firstValue("etag").orElseThrow());
        assertEquals(304, get("/files/data.bin", "If-Modified-Since", lastModified).statusCode());
        assertEquals(200, get("/files/data.bin", "If-None-Match", "\"other\"", "If-Modified-Since", lastModified).statusCode());
        assertEquals(412, get("/files/data.bin", "If-Match", "\"other\"").statusCode());
        assertEquals(200, get("/files/data.bin", "If-Match", etag).statusCode());
        HttpResponse<byte[]> fresh = get("/files/data.bin", "Range", "bytes=0-0", "If-Range", etag);
        assertEquals(206, fresh.statusCode());
        assertArrayEquals(expected(0, 1), fresh.body());
        HttpResponse<byte[]> stale = get("/files/data.bin", "Range", "bytes=0-0", "If-Range", "\"stale\"");
        assertEquals(200, stale.statusCode());
        assertArrayEquals(expected(0, SIZE), stale.body());
        // A 304 then another request on the same connection: the 304 carried no body to confuse the next response.
        try (RawHttp raw = new RawHttp(server.port())) {
            assertEquals(304, raw.request("GET", "/files/a.txt", "If-None-Match: *").status());
            assertEquals(200, raw.request("GET", "/files/a.txt").status());
        }
    }

    @Test
    void otherMethodsGet405WithAllowWhenTheRouteSeesThem() throws Exception {
        try (Bound all = handling(options())) {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + all.port() + "/a.txt"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(405, r.statusCode());
            assertEquals("GET, HEAD", r.headers().firstValue("allow").orElseThrow());
            try (RawHttp raw = new RawHttp(all.port())) {
                assertEquals(405, raw.request("DELETE", "/a.txt").status());
                assertEquals(200, raw.request("GET", "/a.txt").status(), "a 405 without a body keeps the connection");
            }
        }
    }

    @Test
    void mountedUnderAPrefixOtherMethodsGet405WithAllowAndOtherPathsAreNotTaken() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "BREW")) {
                RawHttp.Response r = raw.request(method, "/files/a.txt");
                assertEquals(405, r.status(), method);
                assertEquals("GET, HEAD", r.header("allow"), method);
            }
            assertEquals(404, raw.request("POST", "/elsewhere/a.txt").status(), "a path outside the prefix is not the route's");
            assertEquals(404, raw.request("GET", "/files2/a.txt").status());
            assertEquals(400, raw.request("GET", "/files/%2e%2e/x").status(), "a bad path under the prefix is the route's 400");
            assertEquals(200, raw.request("GET", "/files/a.txt").status(), "a 405 without a body keeps the connection");
        }
    }

    @Test
    void optionsAsteriskIsAnsweredWithWhatTheServerAllowsAndTheAsteriskIsForOptionsOnly() throws Exception {
        try (Bound all = handling(options())) {
            io.reactivemmap.netty.http.RequestRulesCases.assertOptionsAsterisk(all.port(), "/a.txt");
        }
    }

    @Test
    void directoriesServeTheirIndexAndNothingElse() throws Exception {
        HttpResponse<byte[]> r = get("/files/docs/");
        assertEquals(200, r.statusCode());
        assertEquals("<p>docs</p>", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("text/html; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        assertEquals(200, get("/files/docs").statusCode());
        assertEquals(404, get("/files/").statusCode(), "no listing of a directory without index.html");
        assertEquals(404, get("/files/empty/").statusCode());
        assertEquals(404, get("/files/a.txt/").statusCode(), "a file name followed by a slash names a directory");
    }

    @Test
    void hiddenFilesAreNotFoundUnlessServeHiddenIsOn() throws Exception {
        for (String hidden : List.of("/files/.env", "/files/.git/config", "/files/visible-link-to-hidden", "/files/%2eenv")) {
            HttpResponse<byte[]> r = get(hidden);
            assertEquals(404, r.statusCode(), hidden);
            assertTrue(!new String(r.body(), StandardCharsets.UTF_8).contains("SECRET"), hidden);
        }
        try (Bound open = routed(options().withPrefix("/files").withServeHidden(true))) {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + open.port()
                    + "/files/.env")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals("SECRET=1", new String(r.body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void thePrefixIsStrippedBySegmentsBeforeTheFileIsResolved() throws Exception {
        assertArrayEquals("a".getBytes(StandardCharsets.US_ASCII), get("/files/a.txt").body());
        assertEquals(404, get("/a.txt").statusCode(), "outside the route");
        try (Bound all = handling(options().withPrefix("/files/"))) {
            try (RawHttp raw = new RawHttp(all.port())) {
                assertEquals(200, raw.request("GET", "/files/a.txt").status());
                assertEquals(200, raw.request("GET", "//files//./a.txt").status(), "empty and dot segments are dropped");
                assertEquals(200, raw.request("GET", "/%66iles/a.txt").status(), "the prefix is compared decoded");
                assertEquals(200, raw.request("GET", "/files/a.txt?download=1").status(), "the query is not part of the path");
                assertEquals(404, raw.request("GET", "/a.txt").status(), "not under the prefix");
                assertEquals(404, raw.request("GET", "/filesX/a.txt").status(), "by segments, not by string prefix");
                assertEquals(404, raw.request("GET", "/static/a.txt").status());
                assertEquals(404, raw.request("GET", "/files").status(), "the root has no index.html");
                assertEquals(400, raw.request("GET", "/files%2fa.txt").status(), "an encoded separator");
                assertEquals(400, raw.request("GET", "/files/../files/a.txt").status(), "a '..' segment");
            }
        }
        try (Bound deep = handling(options().withPrefix("/a/b"))) {
            try (RawHttp raw = new RawHttp(deep.port())) {
                assertEquals(200, raw.request("GET", "/a/b/docs/").status());
                assertEquals(404, raw.request("GET", "/a/docs/").status());
            }
        }
    }

    @Test
    void traversalCorpusOverTheWireNeverLeaks() throws Exception {
        List<String> targets = new ArrayList<>(HttpTestSupport.REJECTED_TARGETS.stream()
                .filter(t -> !t.isEmpty() && t.chars().noneMatch(c -> c == ' ' || c == '\t' || c > 0x7e)).toList());
        targets.addAll(List.of("/link-out", "/dir-link-out/secret.txt", "/.env", "/.git/config", "/visible-link-to-hidden",
                "/fifo", "/%252e%252e/outside/secret.txt", "/%E2%80%A4%E2%80%A4/outside/secret.txt",
                "/static1/secret.txt", "//../outside/secret.txt", "/./../outside/secret.txt", "/a.txt%00.html",
                "/%2e%2e/outside/secret.txt", "/..%2foutside/secret.txt", "/..%5coutside%5csecret.txt", "/a%00",
                "http://127.0.0.1/../outside/secret.txt"));
        try (Bound all = handling(options())) {
            for (String target : targets) {
                try (RawHttp raw = new RawHttp(all.port())) {
                    RawHttp.Response r = raw.request("GET", target);
                    assertTrue(r.status() == 400 || r.status() == 404, target + " -> " + r.status());
                    String body = new String(r.body(), StandardCharsets.UTF_8);
                    assertTrue(!body.contains("secret") && !body.contains("SECRET") && !body.contains("sibling"), target);
                }
            }
        }
        // The same attempts under the prefix, through Reactor Netty's router.
        for (String target : List.of("/files/%2e%2e/outside/secret.txt", "/files/..%2f..%2foutside/secret.txt",
                "/files/..%5c..%5coutside%5csecret.txt", "/files/a.txt%00", "/files/%252e%252e/outside/secret.txt",
                "/files/link-out", "/files/dir-link-out/secret.txt", "/files/.env")) {
            try (RawHttp raw = new RawHttp(server.port())) {
                RawHttp.Response r = raw.request("GET", target);
                assertTrue(r.status() == 400 || r.status() == 404, target + " -> " + r.status());
                assertTrue(!new String(r.body(), StandardCharsets.UTF_8).contains("secret"), target);
            }
        }
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = raw.request("GET", "/files/data.bin", "Range: bytes=" + i + "-" + (i + 9));
                assertEquals(206, r.status());
                assertArrayEquals(expected(i, 10), r.body());
            }
            RawHttp.Response multi = raw.request("GET", "/files/data.bin", "Range: bytes=0-0,10-10");
            assertEquals(206, multi.status());
            RawHttp.Response whole = raw.request("GET", "/files/data.bin");
            assertArrayEquals(expected(0, SIZE), whole.body(), "the multipart body ended exactly at its length");
        }
    }

    @Test
    void curlFetchesARangeAndTheWholeFile() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        Path out = dir.resolve("curl.out");
        Process p = new ProcessBuilder("curl", "-s", "-S", "-f", "-r", "0-99", "-o", out.toString(), "-w", "%{http_code}",
                uri("/files/data.bin").toString()).redirectErrorStream(true).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor());
        assertEquals("206", status);
        assertArrayEquals(expected(0, 100), Files.readAllBytes(out));
        Process whole = new ProcessBuilder("curl", "-s", "-f", "-o", out.toString(), uri("/files/data.bin").toString()).start();
        assertEquals(0, whole.waitFor());
        assertArrayEquals(expected(0, SIZE), Files.readAllBytes(out));
    }

    @Test
    void eachRequestGivesExactlyOneAccessLogRecordWithItsStatusAndBytes() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        CapturingAccessLog log = new CapturingAccessLog();
        Duration wait = Duration.ofSeconds(20);
        FileRoute files = FileRoute.of(options().withPrefix("/files"), log);
        try (Bound logged = new Bound(HttpServer.create().host("127.0.0.1").port(0).route(files::mount).bindNow())) {
            try (RawHttp raw = new RawHttp(logged.port())) {
                assertEquals(200, raw.request("GET", "/files/data.bin?log=200").status());
                assertEquals(206, raw.request("GET", "/files/data.bin?log=206", "Range: bytes=10-19").status());
                assertEquals(404, raw.request("GET", "/files/missing.bin?log=404").status());
                assertEquals(200, raw.request("HEAD", "/files/data.bin?log=head").status());
                // a CR LF, encoded, in the target (refused: control characters are no file name): logged on one line
                assertEquals(400, raw.request("GET", "/files/nope%0d%0aGET%20/forged%20200?log=400").status());
            }
            CapturingAccessLog.assertRecord(log.awaitOne("/files/data.bin?log=200", wait), "GET", "/files/data.bin?log=200",
                    200, SIZE, SIZE, AccessLogRecord.Outcome.COMPLETE);
            AccessLogRecord range = log.awaitOne("/files/data.bin?log=206", wait);
            CapturingAccessLog.assertRecord(range, "GET", "/files/data.bin?log=206", 206, 10, 10,
                    AccessLogRecord.Outcome.COMPLETE);
            assertEquals("HTTP/1.1", range.protocol());
            assertNotNull(range.remoteAddress());
            AccessLogRecord missing = log.awaitOne("/files/missing.bin?log=404", wait);
            CapturingAccessLog.assertRecord(missing, "GET", "/files/missing.bin?log=404", 404, missing.plannedBytes(),
                    missing.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);
            CapturingAccessLog.assertRecord(log.awaitOne("/files/data.bin?log=head", wait), "HEAD",
                    "/files/data.bin?log=head", 200, 0, 0, AccessLogRecord.Outcome.COMPLETE);
            AccessLogRecord forged = log.awaitOne("/files/nope", wait);
            CapturingAccessLog.assertRecord(forged, "GET", "/files/nope%0d%0aGET%20/forged%20200?log=400", 400,
                    forged.plannedBytes(), forged.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);

            try (RawHttp raw = new RawHttp(logged.port())) {
                raw.socket.setReceiveBufferSize(64 << 10);
                raw.send("GET /files/big.bin?log=abort HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, raw.readHead().status());
                assertEquals(1 << 20, raw.in.readNBytes(1 << 20).length);
                raw.socket.setSoLinger(true, 0); // reset: the client is gone
            }
            CapturingAccessLog.assertRecord(log.awaitOne("/files/big.bin?log=abort", wait), "GET",
                    "/files/big.bin?log=abort", 200, BIG, -1, AccessLogRecord.Outcome.ABORTED);
            assertEquals(6, log.records().size(), () -> "one record per request: " + log.records());
        }
        NoLeakedWindows.assertNothingMapped();
    }

    @Test
    void aClientThatDisconnectsMidDownloadLeavesNothingMapped() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        for (String range : List.of("", "Range: bytes=0-9,1000-" + (BIG - 1))) {
            try (RawHttp raw = new RawHttp(server.port())) {
                raw.socket.setReceiveBufferSize(64 << 10);
                raw.send("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n" + (range.isEmpty() ? "" : range + "\r\n") + "\r\n");
                assertTrue(raw.readHead().status() / 100 == 2);
                assertEquals(1 << 20, raw.in.readNBytes(1 << 20).length);
            }
        }
        NoLeakedWindows.assertNothingMapped();
        assertEquals(200, get("/files/a.txt").statusCode(), "the server goes on serving");
    }

    @Test
    void everyResponseClosesTheFileItOpenedCompletedNotModifiedHeadOrAborted() throws Exception {
        Path data = root.resolve("data.bin");
        HttpResponse<byte[]> whole = get("/files/data.bin");
        assertEquals(200, whole.statusCode());
        assertEquals(304, get("/files/data.bin", "If-None-Match", whole.headers().firstValue("etag").orElseThrow()).statusCode());
        assertEquals(206, get("/files/data.bin", "Range", "bytes=0-9,100-199").statusCode());
        HttpResponse<Void> head = client.send(HttpRequest.newBuilder(uri("/files/data.bin"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(200, head.statusCode());
        TestFiles.awaitNoDescriptors(data);
        Path big = TestFiles.pattern(root, "big.bin", BIG);
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.socket.setReceiveBufferSize(64 << 10);
            raw.send("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.readHead().status());
            assertEquals(1 << 20, raw.in.readNBytes(1 << 20).length);
        }
        TestFiles.awaitNoDescriptors(big);
    }

    @Test
    void aFileTruncatedMidResponseEndsTheConnectionShort() throws Exception {
        Path big = TestFiles.pattern(root, "big.bin", BIG);
        try (io.reactivemmap.netty.CapturedLogs logs = new io.reactivemmap.netty.CapturedLogs(
                io.reactivemmap.netty.http.AccessLog.LOGGER_NAME);
             RawHttp raw = new RawHttp(server.port())) {
            raw.socket.setReceiveBufferSize(64 << 10);
            raw.send("GET /files/big.bin?log=truncated HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = raw.readHead();
            assertEquals(String.valueOf(BIG), head.header("content-length"));
            byte[] first = raw.in.readNBytes(1 << 20);
            assertArrayEquals(expected(0, 1 << 20), first);
            try (FileChannel ch = FileChannel.open(big, StandardOpenOption.WRITE)) {
                ch.truncate(2 << 20);
            }
            long rest = raw.drain();
            assertTrue(first.length + rest < BIG, "got " + (first.length + rest) + " of " + BIG + " bytes");
            // on the default logger, as the server's: the server gave up, the client did not go away
            String line = logs.await(r -> r.getMessage().startsWith("GET /files/big.bin?log=truncated "),
                    Duration.ofSeconds(20), "the access-log line").getMessage();
            assertTrue(line.matches("GET /files/big.bin\\?log=truncated 200 - \\d+\\.\\d{3}ms failed"), line);
        }
    }

    @Test
    void versionsAndHostHeadersFollowTheHttp1Rules() throws Exception {
        io.reactivemmap.netty.http.RequestRulesCases.assertAllOnReactorNetty(server.port(), "/files/data.bin");
    }
}
