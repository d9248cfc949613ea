package io.reactivemmap.netty.http;

import io.reactivemmap.netty.CapturedLogs;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The server's behaviour over real sockets, run once per body strategy by the subclasses. Every test must leave
 * zero windows mapped and zero connections open.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
abstract class FileServerContract {
    static final int SIZE = 200_000;
    static final int BIG = 32 << 20;

    @TempDir
    Path dir;
    Path root;
    Path file;
    FileServer server;
    HttpClient client;

    /** Starts a server with the strategy under test. */
    abstract FileServer start(FileServerOptions options) throws IOException;

    FileServerOptions options() {
        return FileServerOptions.defaults(root).withPort(0).withIoThreads(2).withWindowSize(64 << 10)
                .withMaxBytesInFlight(256 << 10);
    }

    @BeforeEach
    void setUp() throws Exception {
        root = RootDirectoryTest.build(dir);
        file = TestFiles.pattern(root, "data.bin", SIZE);
        server = start(options());
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        client.close();
        server.close();
        awaitNoConnections(); // closing listeners run on the event loops as they shut down
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
        HttpResponse<byte[]> r = get("/data.bin");
        assertEquals(200, r.statusCode());
        assertArrayEquals(expected(0, SIZE), r.body());
        assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElseThrow());
        assertEquals("bytes", r.headers().firstValue("accept-ranges").orElseThrow());
        assertEquals("application/octet-stream", r.headers().firstValue("content-type").orElseThrow());
        assertTrue(r.headers().firstValue("etag").orElseThrow().startsWith("\""));
        assertNotNull(HttpDates.parse(r.headers().firstValue("last-modified").orElseThrow()));
    }

    @Test
    void headHasHeadersAndNoBody() throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/data.bin")).HEAD().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals(0, r.body().length);
        assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElseThrow());
    }

    @Test
    void rangesAreServedAs206() throws Exception {
        HttpResponse<byte[]> r = get("/data.bin", "Range", "bytes=1000-1999");
        assertEquals(206, r.statusCode());
        assertEquals("bytes 1000-1999/" + SIZE, r.headers().firstValue("content-range").orElseThrow());
        assertArrayEquals(expected(1000, 1000), r.body());
        HttpResponse<byte[]> suffix = get("/data.bin", "Range", "bytes=-100");
        assertArrayEquals(expected(SIZE - 100, 100), suffix.body());
        HttpResponse<byte[]> open = get("/data.bin", "Range", "bytes=199000-");
        assertArrayEquals(expected(199_000, 1000), open.body());
        HttpResponse<byte[]> huge = get("/data.bin", "Range", "bytes=0-18446744073709551615");
        assertEquals(206, huge.statusCode());
        assertEquals(SIZE, huge.body().length);
    }

    @Test
    void multipleRangesAreMultipartWithExactLength() throws Exception {
        HttpResponse<byte[]> r = get("/data.bin", "Range", "bytes=0-9,100000-100099,-5");
        assertEquals(206, r.statusCode());
        String type = r.headers().firstValue("content-type").orElseThrow();
        String boundary = type.substring(type.indexOf("boundary=") + 9);
        String body = new String(r.body(), StandardCharsets.ISO_8859_1);
        assertEquals(Long.parseLong(r.headers().firstValue("content-length").orElseThrow()), r.body().length);
        String part2 = "\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 100000-100099/"
                + SIZE + "\r\n\r\n" + new String(expected(100_000, 100), StandardCharsets.ISO_8859_1);
        assertTrue(body.contains(part2));
        assertTrue(body.endsWith("\r\n--" + boundary + "--\r\n"));
        assertEquals(5, body.split("--" + boundary, -1).length, "three parts and the closing delimiter");
    }

    @Test
    void unsatisfiableRangesAre416() throws Exception {
        HttpResponse<byte[]> r = get("/data.bin", "Range", "bytes=" + SIZE + "-");
        assertEquals(416, r.statusCode());
        assertEquals("bytes */" + SIZE, r.headers().firstValue("content-range").orElseThrow());
        assertEquals(416, get("/data.bin", "Range", "bytes=99999999999999999999999-").statusCode());
        assertEquals(200, get("/data.bin", "Range", "bytes=garbage").statusCode(), "invalid syntax is ignored");
    }

    @Test
    void conditionalRequestsGet304AndStaleIfRangeGets200() throws Exception {
        HttpResponse<byte[]> first = get("/data.bin");
        String etag = first.headers().firstValue("etag").orElseThrow();
        String lastModified = first.headers().firstValue("last-modified").orElseThrow();
        HttpResponse<byte[]> cached = get("/data.bin", "If-None-Match", etag);
        assertEquals(304, cached.statusCode());
        assertEquals(0, cached.body().length);
        assertEquals(etag, cached.headers().firstValue("etag").orElseThrow());
        assertEquals(304, get("/data.bin", "If-Modified-Since", lastModified).statusCode());
        assertEquals(200, get("/data.bin", "If-None-Match", "\"other\"", "If-Modified-Since", lastModified).statusCode());
        assertEquals(412, get("/data.bin", "If-Match", "\"other\"").statusCode());
        assertEquals(206, get("/data.bin", "Range", "bytes=0-0", "If-Range", etag).statusCode());
        assertEquals(200, get("/data.bin", "Range", "bytes=0-0", "If-Range", "\"stale\"").statusCode());
    }

    @Test
    void optionsAsteriskIsAnsweredWithWhatTheServerAllowsAndTheAsteriskIsForOptionsOnly() throws Exception {
        RequestRulesCases.assertOptionsAsterisk(server.port(), "/a.txt");
    }

    @Test
    void otherMethodsGet405WithAllow() throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri("/data.bin"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(405, r.statusCode());
        assertEquals("GET, HEAD", r.headers().firstValue("allow").orElseThrow());
        try (RawHttp raw = new RawHttp(server.port())) {
            assertEquals(405, raw.request("DELETE", "/data.bin").status());
            assertEquals(200, raw.request("GET", "/a.txt").status(), "a 405 without a body keeps the connection");
        }
    }

    @Test
    void directoriesServeTheirIndexAndNothingElse() throws Exception {
        HttpResponse<byte[]> r = get("/docs/");
        assertEquals(200, r.statusCode());
        assertEquals("<p>docs</p>", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("text/html; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
        assertEquals(404, get("/").statusCode(), "no listing of a directory without index.html");
        assertEquals(404, get("/empty/").statusCode());
    }

    @Test
    void traversalCorpusOverTheWireNeverLeaks() throws Exception {
        List<String> targets = new java.util.ArrayList<>(RequestPathTest.REJECTED.stream()
                .filter(t -> !t.isEmpty() && t.chars().noneMatch(c -> c == ' ' || c == '\t' || c > 0x7e)).toList());
        targets.addAll(List.of("/link-out", "/dir-link-out/secret.txt", "/.env", "/.git/config", "/visible-link-to-hidden",
                "/fifo", "/%252e%252e/outside/secret.txt", "/%E2%80%A4%E2%80%A4/outside/secret.txt",
                "/static1/secret.txt", "//../outside/secret.txt", "/./../outside/secret.txt", "/a.txt%00.html",
                "http://127.0.0.1/../outside/secret.txt", "/" + "x/".repeat(2000)));
        try (RawHttp raw = new RawHttp(server.port())) {
            for (String target : targets) {
                RawHttp.Response r = raw.request("GET", target);
                assertTrue(r.status() == 400 || r.status() == 404 || r.status() == 414, target + " -> " + r.status());
                String body = new String(r.body(), StandardCharsets.UTF_8);
                assertTrue(!body.contains("secret") && !body.contains("SECRET") && !body.contains("sibling"), target);
                if ("close".equals(r.header("connection"))) {
                    raw.close();
                    break;
                }
            }
        }
        // and each one on a fresh connection, so a target that closes the connection does not hide the rest
        for (String target : targets) {
            try (RawHttp raw = new RawHttp(server.port())) {
                RawHttp.Response r = raw.request("GET", target);
                assertTrue(r.status() == 400 || r.status() == 404 || r.status() == 414, target + " -> " + r.status());
            }
        }
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnectionAndHonoursClose() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = raw.request("GET", "/data.bin", "Range: bytes=" + i + "-" + (i + 9));
                assertEquals(206, r.status());
                assertArrayEquals(expected(i, 10), r.body());
            }
            RawHttp.Response last = raw.request("GET", "/a.txt", "Connection: close");
            assertEquals("close", last.header("connection"));
            assertEquals(0, raw.drain(), "server closes after Connection: close");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\n\r\n"
                    + "HEAD /docs/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertArrayEquals("a".getBytes(StandardCharsets.US_ASCII), raw.read(false).body());
            assertArrayEquals(expected(5, 5), raw.read(false).body());
            RawHttp.Response head = raw.read(true);
            assertEquals("11", head.header("content-length"));
        }
    }

    /**
     * A pipelining client that sends 500 requests in one go and reads nothing for a while fills the socket: the
     * responses that meet a full send buffer must wait, and every one must then arrive whole and in order. (Until the
     * cap on queued requests went from 16 to 1024, the server closed such a connection after ~60 responses.)
     */
    @Test
    @Timeout(60)
    void smallBodiesMeetingAFullSocketArriveWholeAndInOrder() throws Exception {
        Path small = TestFiles.pattern(root, "small.bin", 60_000);
        StringBuilder requests = new StringBuilder();
        List<long[]> ranges = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            long from = (i * 7919L) % 50_000;
            long length = i % 3 == 0 ? 60_000 : 1 + (i * 104_729L) % (60_000 - from);
            if (i % 3 == 0) {
                from = 0;
                requests.append("GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            } else {
                requests.append("GET /small.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=").append(from).append('-')
                        .append(from + length - 1).append("\r\n\r\n");
            }
            ranges.add(new long[] {from, length});
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send(requests.toString());
            Thread.sleep(500); // 30 MB of responses: the server writes until the socket is full, then waits for us
            for (int i = 0; i < ranges.size(); i++) {
                RawHttp.Response r = raw.read(false);
                long[] range = ranges.get(i);
                assertEquals(i % 3 == 0 ? 200 : 206, r.status(), "response " + i);
                assertArrayEquals(TestFiles.expected(range[0], (int) range[1]), r.body(), "response " + i);
            }
        }
        TestFiles.awaitNoDescriptors(small); // closed as each write completes, which may trail the client's last read
    }

    @Test
    void http10ClosesByDefaultAndKeepsAliveWhenAsked() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.0\r\n\r\n");
            RawHttp.Response r = raw.read(false);
            assertEquals(200, r.status());
            assertEquals(0, raw.drain());
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertEquals("keep-alive", raw.read(false).header("connection"));
            raw.send("GET /a.txt HTTP/1.0\r\n\r\n");
            assertEquals(200, raw.read(false).status());
        }
    }

    @Test
    void malformedRequestsAndBodiesOnGetAre400AndClose() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            RawHttp.Response r = raw.read(false);
            assertEquals(400, r.status());
            assertEquals(0, raw.drain());
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GARBAGE\r\n\r\n");
            assertEquals(400, raw.read(false).status());
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(414, raw.read(false).status());
        }
    }

    @Test
    void curlFetchesARange() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is not installed");
        Path out = dir.resolve("curl.out");
        Process p = new ProcessBuilder("curl", "-s", "-S", "-f", "-r", "0-99", "-o", out.toString(), "-w", "%{http_code}",
                uri("/data.bin").toString()).redirectErrorStream(true).start();
        String status = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor());
        assertEquals("206", status);
        assertArrayEquals(expected(0, 100), Files.readAllBytes(out));
        Process whole = new ProcessBuilder("curl", "-s", "-f", "-o", out.toString(), uri("/data.bin").toString()).start();
        assertEquals(0, whole.waitFor());
        assertArrayEquals(expected(0, SIZE), Files.readAllBytes(out));
    }

    /** The one access-log line starting with {@code prefix}: waits for it, then fails if a second one comes. */
    static String oneLine(CapturedLogs logs, String prefix) throws InterruptedException {
        logs.await(r -> r.getLoggerName().equals(AccessLog.LOGGER_NAME) && r.getMessage().startsWith(prefix),
                Duration.ofSeconds(20), "for " + prefix);
        Thread.sleep(200);
        List<String> lines = logs.records().stream().filter(r -> r.getLoggerName().equals(AccessLog.LOGGER_NAME))
                .map(java.util.logging.LogRecord::getMessage).filter(m -> m.startsWith(prefix)).toList();
        assertEquals(1, lines.size(), () -> "exactly one line for " + prefix + ": " + lines);
        String line = lines.getFirst();
        assertTrue(line.indexOf('\r') < 0 && line.indexOf('\n') < 0, line);
        return line;
    }

    @Test
    void eachRequestIsLoggedOnceOnTheAccessLoggerWithItsStatusAndBytes() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        try (CapturedLogs logs = new CapturedLogs(AccessLog.LOGGER_NAME)) {
            assertEquals(200, get("/data.bin?log=200").statusCode());
            assertEquals(206, get("/data.bin?log=206", "Range", "bytes=10-19").statusCode());
            assertEquals(404, get("/missing.bin?log=404").statusCode());
            try (RawHttp raw = new RawHttp(server.port())) {
                // a CR LF, encoded, in the target (refused: control characters are no file name): logged as received,
                // on one line
                assertEquals(400, raw.request("GET", "/nope%0d%0aGET%20/forged%20200?log=400").status());
            }
            try (RawHttp raw = new RawHttp(server.port())) {
                raw.socket.setReceiveBufferSize(64 << 10);
                raw.send("GET /big.bin?log=abort HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, raw.readHead().status());
                assertEquals(1 << 20, raw.in.readNBytes(1 << 20).length);
                raw.socket.setSoLinger(true, 0); // reset: the client is gone, not merely done sending
            }
            String ms = " \\d+\\.\\d{3}ms";
            String ok = oneLine(logs, "GET /data.bin?log=200 ");
            assertTrue(ok.matches("GET /data.bin\\?log=200 200 " + SIZE + ms), ok);
            String range = oneLine(logs, "GET /data.bin?log=206 ");
            assertTrue(range.matches("GET /data.bin\\?log=206 206 10" + ms), range);
            String missing = oneLine(logs, "GET /missing.bin?log=404 ");
            assertTrue(missing.matches("GET /missing.bin\\?log=404 404 \\d+" + ms), missing);
            String forged = oneLine(logs, "GET /nope");
            assertTrue(forged.matches("GET /nope%0d%0aGET%20/forged%20200\\?log=400 400 \\d+" + ms), forged);
            assertTrue(logs.records().stream().noneMatch(r -> r.getMessage().startsWith("GET /forged")), "no forged line");
            String aborted = oneLine(logs, "GET /big.bin?log=abort ");
            assertTrue(aborted.matches("GET /big.bin\\?log=abort 200 -" + ms + " aborted"), aborted);
        }
        // (tearDown checks that every connection closed: the HttpClient's stays open until then)
    }

    @Test
    void aClientThatDisconnectsMidDownloadLeavesNothingBehind() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        for (int i = 0; i < 3; i++) {
            try (RawHttp raw = new RawHttp(server.port())) {
                raw.socket.setReceiveBufferSize(64 << 10);
                raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, raw.readHead().status());
                assertEquals(1 << 20, raw.in.readNBytes(1 << 20).length);
            }
        }
        awaitNoConnections();
        NoLeakedWindows.assertNothingMapped();
    }

    @Test
    void aFileTruncatedMidResponseEndsTheConnectionShort() throws Exception {
        Path big = TestFiles.pattern(root, "big.bin", BIG);
        try (CapturedLogs logs = new CapturedLogs(AccessLog.LOGGER_NAME);
             RawHttp raw = new RawHttp(server.port())) {
            raw.socket.setReceiveBufferSize(64 << 10);
            raw.send("GET /big.bin?log=truncated HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = raw.readHead();
            assertEquals(String.valueOf(BIG), head.header("content-length"));
            byte[] first = raw.in.readNBytes(1 << 20);
            assertArrayEquals(expected(0, 1 << 20), first);
            try (FileChannel ch = FileChannel.open(big, StandardOpenOption.WRITE)) {
                ch.truncate(2 << 20);
            }
            long rest = raw.drain();
            assertTrue(first.length + rest < BIG, "got " + (first.length + rest) + " of " + BIG + " bytes");
            // the server gave up on the body, the client did not go away: "failed", not "aborted"
            String line = oneLine(logs, "GET /big.bin?log=truncated ");
            assertTrue(line.matches("GET /big.bin\\?log=truncated 200 - \\d+\\.\\d{3}ms failed"), line);
        }
        awaitNoConnections();
    }

    @Test
    void aSlowReaderIsDisconnected() throws Exception {
        server.close();
        server = start(options().withMinRate(4 << 20, Duration.ofMillis(300)));
        TestFiles.pattern(root, "big.bin", BIG);
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.socket.setReceiveBufferSize(16 << 10);
            raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.readHead().status());
            // read nothing more: the server must give up on us
            awaitNoConnections();
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        server.close();
        server = start(options().withIdleTimeout(Duration.ofMillis(300)));
        try (RawHttp raw = new RawHttp(server.port())) {
            assertEquals(200, raw.request("GET", "/a.txt").status());
            long t0 = System.nanoTime();
            assertEquals(0, raw.drain());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
        }
    }

    @Test
    void aClientTricklingItsRequestHeadIsDisconnected() throws Exception {
        server.close();
        server = start(options().withRequestHeadTimeout(Duration.ofMillis(400)));
        try (RawHttp quick = new RawHttp(server.port())) {
            assertEquals(200, quick.request("GET", "/a.txt").status(), "a normal request is not affected");
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n");
            long t0 = System.nanoTime();
            // One header line every 50 ms: never idle (the idle timeout is 60 s), never complete.
            Thread trickler = Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() - t0 < 5_000_000_000L) {
                        Thread.sleep(50);
                        raw.send("X-Slow: 1\r\n");
                    }
                } catch (IOException | InterruptedException closed) {
                    // the server closed the connection: what the test waits for
                }
            });
            RawHttp.Response timeout = raw.read(false);
            assertEquals(408, timeout.status(), "told why before the close");
            assertEquals("close", timeout.header("connection"));
            assertEquals(0, raw.drain(), "then closed");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            trickler.interrupt();
            trickler.join();
            assertTrue(millis >= 350 && millis < 3_000, "closed after " + millis + " ms, expected about 400");
        }
        awaitNoConnections();
    }

    @Test
    void connectionsOverTheCapGet503() throws Exception {
        server.close();
        server = start(options().withMaxConnections(1));
        try (CapturedLogs logs = new CapturedLogs(AccessLog.LOGGER_NAME);
             RawHttp first = new RawHttp(server.port())) {
            assertEquals(200, first.request("GET", "/a.txt").status());
            try (RawHttp second = new RawHttp(server.port())) {
                RawHttp.Response r = second.request("GET", "/a.txt?log=503");
                assertEquals(503, r.status());
                assertEquals("close", r.header("connection"));
                assertEquals(0, second.drain());
                String line = oneLine(logs, "GET /a.txt?log=503 ");
                assertTrue(line.matches("GET /a.txt\\?log=503 503 " + r.body().length + " \\d+\\.\\d{3}ms"), line);
            }
            assertEquals(200, first.request("GET", "/a.txt").status(), "the first connection is unaffected");
        }
    }

    @Test
    void statsEndpointIsOffByDefaultAndReportsWhenOn() throws Exception {
        assertEquals(404, get("/_stats").statusCode());
        server.close();
        server = start(options().withStatsEndpoint(true));
        HttpResponse<byte[]> r = get("/_stats");
        assertEquals(200, r.statusCode());
        String json = new String(r.body(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"liveWindows\":") && json.contains("\"openConnections\":1"), json);
    }

    @Test
    void closeEndsOpenConnectionsEvenWhileTheEventLoopsAreBusy() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            assertEquals(200, raw.request("GET", "/a.txt").status(), "a kept-alive connection");
            // Keep every event loop running tasks (100 ms slices, each queueing the next) for the whole of close(), so
            // the shutdown request lands while a loop runs tasks, never right after an I/O pass: Netty 4.2 then ends
            // the loop without closing its channels, and only close() itself can close them.
            List<io.netty.util.concurrent.EventExecutor> loops = new java.util.ArrayList<>();
            server.eventLoops().forEach(loops::add);
            java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(loops.size());
            for (io.netty.util.concurrent.EventExecutor loop : loops) {
                loop.execute(new Runnable() {
                    int slices = 8;

                    @Override
                    public void run() {
                        busy.countDown();
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        if (--slices > 0) {
                            loop.execute(this);
                        }
                    }
                });
            }
            busy.await();
            server.close();
            assertEquals(0, server.openConnections(), "close() returned with a connection still open");
            assertEquals(0, raw.drain(), "the client sees the connection end");
        }
    }

    void awaitNoConnections() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.openConnections(), "connections still open");
    }


    @Test
    void versionsAndHostHeadersFollowTheHttp1Rules() throws Exception {
        RequestRulesCases.assertAll(server.port(), "/data.bin");
    }
}
