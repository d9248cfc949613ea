package io.reactivemmap.netty.spring;

import io.reactivemmap.MapOptions;
import io.reactivemmap.netty.CapturingAccessLog;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.http.AccessLogRecord;
import io.reactivemmap.netty.http.RawHttp;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.HttpDates;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Controller;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The range and conditional matrix, byte-exact, through three ways in: a functional router on a real Reactor Netty
 * server (zero-copy path, read off the wire with a raw socket), the same router bound to {@code WebTestClient}'s mock
 * server (copy path), and an annotated controller bound to {@code WebTestClient}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class MappedFileHandlerTest {
    private static final int WINDOW = 64 * 1024;
    private static final long SIZE = 3L * WINDOW + 1234;

    private Path root;
    private byte[] content;
    private SpringServer server;
    private List<Client> clients;

    /** One request, answered as the bytes and headers a client sees. */
    interface Client {
        WireHttp.Response exchange(String method, String target, String... headerLines) throws IOException;
    }

    record Named(String name, Client client) implements Client {
        @Override
        public WireHttp.Response exchange(String method, String target, String... headerLines) throws IOException {
            return client.exchange(method, target, headerLines);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @Controller
    @RequestMapping("/files/**")
    static final class FilesController {
        private final MappedFileHandler files;

        FilesController(MappedFileHandler files) {
            this.files = files;
        }

        @RequestMapping
        Mono<Void> file(ServerWebExchange exchange) {
            return files.serve(exchange);
        }
    }

    @BeforeAll
    void start(@TempDir Path dir) throws IOException {
        root = Files.createDirectories(dir.resolve("root"));
        Path f = TestFiles.pattern(root, "f.bin", SIZE);
        Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2024-05-01T10:00:00.250Z")));
        content = Files.readAllBytes(f);
        Files.writeString(root.resolve("a.txt"), "hello\n");
        Files.createDirectories(root.resolve("sub"));
        Files.writeString(root.resolve("sub/index.html"), "<p>index</p>\n");
        Files.writeString(root.resolve(".hidden"), "hidden\n");
        Files.writeString(dir.resolve("secret.txt"), "secret\n");
        Files.createDirectories(dir.resolve("root1"));
        Files.writeString(dir.resolve("root1/x.txt"), "sibling\n");
        Files.createSymbolicLink(root.resolve("link.txt"), dir.resolve("secret.txt"));

        MappedFileHandler files = MappedFileHandler.of(RootDirectory.of(root, false, false),
                MapOptions.defaults().withWindowSize(WINDOW), RangeLimits.DEFAULT);
        RouterFunction<ServerResponse> routes = RouterFunctions.route(RequestPredicates.path("/files/**"), files);
        server = SpringServer.start(RouterFunctions.toHttpHandler(routes));
        int port = server.port();
        clients = List.of(
                new Named("reactor-netty router (zero-copy)", (m, t, h) -> WireHttp.exchange(port, m, t, h)),
                new Named("mock router (copy)", webTestClient(WebTestClient.bindToRouterFunction(routes).build())),
                new Named("mock controller (copy)", webTestClient(WebTestClient.bindToController(new FilesController(files)).build())));
    }

    @AfterAll
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    Stream<Client> clients() {
        return clients.stream();
    }

    private static Client webTestClient(WebTestClient client) {
        WebTestClient c = client.mutate().responseTimeout(Duration.ofSeconds(10)).build();
        return (method, target, headerLines) -> {
            EntityExchangeResult<byte[]> r = c.method(HttpMethod.valueOf(method)).uri(URI.create(target))
                    .headers(h -> {
                        for (String line : headerLines) {
                            int colon = line.indexOf(':');
                            h.add(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                        }
                    })
                    .exchange().expectBody().returnResult();
            Map<String, String> headers = new LinkedHashMap<>();
            r.getResponseHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(", ", v)));
            byte[] body = r.getResponseBodyContent();
            return new WireHttp.Response(r.getStatus().value(), headers, body == null ? new byte[0] : body);
        };
    }

    private byte[] slice(long first, long last) {
        return Arrays.copyOfRange(content, (int) first, (int) last + 1);
    }

    private static String etag(Client c) throws IOException {
        String etag = c.exchange("HEAD", "/files/f.bin").header("ETag");
        assertNotNull(etag);
        return etag;
    }

    // ---- access log ----

    @org.junit.jupiter.api.Test
    void eachWrittenResponseGivesExactlyOneAccessLogRecord(@TempDir Path dir) throws Exception {
        Path logRoot = Files.createDirectories(dir.resolve("logged"));
        TestFiles.pattern(logRoot, "whole.bin", SIZE);
        TestFiles.pattern(logRoot, "part.bin", SIZE);
        TestFiles.pattern(logRoot, "head.bin", SIZE);
        int big = 32 << 20;
        TestFiles.pattern(logRoot, "big.bin", big);
        CapturingAccessLog log = new CapturingAccessLog();
        MappedFileHandler files = MappedFileHandler.of(RootDirectory.of(logRoot, false, false),
                MapOptions.defaults().withWindowSize(WINDOW), RangeLimits.DEFAULT, log);
        Duration wait = Duration.ofSeconds(20);
        try (SpringServer logged = SpringServer.start(RouterFunctions.toHttpHandler(
                RouterFunctions.route(RequestPredicates.path("/files/**"), files)))) {
            try (RawHttp raw = new RawHttp(logged.port())) {
                assertEquals(200, raw.request("GET", "/files/whole.bin").status());
                assertEquals(206, raw.request("GET", "/files/part.bin", "Range: bytes=10-19").status());
                assertEquals(404, raw.request("GET", "/files/missing.bin").status());
                assertEquals(200, raw.request("HEAD", "/files/head.bin").status());
                // a CR LF, encoded, in the path (refused: control characters are no file name): logged on one line
                assertEquals(400, raw.request("GET", "/files/nope%0d%0aGET%20/forged%20200").status());
            }
            AccessLogRecord whole = log.awaitOne("/whole.bin", wait);
            CapturingAccessLog.assertRecord(whole, "GET", "/whole.bin", 200, SIZE, SIZE, AccessLogRecord.Outcome.COMPLETE);
            assertEquals("HTTP/1.1", whole.protocol());
            assertNotNull(whole.remoteAddress());
            CapturingAccessLog.assertRecord(log.awaitOne("/part.bin", wait), "GET", "/part.bin", 206, 10, 10,
                    AccessLogRecord.Outcome.COMPLETE);
            AccessLogRecord missing = log.awaitOne("/missing.bin", wait);
            CapturingAccessLog.assertRecord(missing, "GET", "/missing.bin", 404, missing.plannedBytes(),
                    missing.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);
            CapturingAccessLog.assertRecord(log.awaitOne("/head.bin", wait), "HEAD", "/head.bin", 200, 0, 0,
                    AccessLogRecord.Outcome.COMPLETE);
            AccessLogRecord forged = log.awaitOne("/nope", wait);
            CapturingAccessLog.assertRecord(forged, "GET", "/nope%0d%0aGET%20/forged%20200", 400, forged.plannedBytes(),
                    forged.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);

            try (RawHttp raw = new RawHttp(logged.port())) {
                raw.socket.setReceiveBufferSize(64 << 10);
                raw.send("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, raw.readHead().status());
                assertEquals(1 << 20, raw.in.readNBytes(1 << 20).length);
                raw.socket.setSoLinger(true, 0); // reset: the client is gone
            }
            CapturingAccessLog.assertRecord(log.awaitOne("/big.bin", wait), "GET", "/big.bin", 200, big, -1,
                    AccessLogRecord.Outcome.ABORTED);
            assertEquals(6, log.records().size(), () -> "one record per response: " + log.records());
        }
    }

    // ---- 200 and HEAD ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void wholeFileIs200WithLengthValidatorsAndExactBytes(Client c) throws IOException {
        WireHttp.Response r = c.exchange("GET", "/files/f.bin");
        assertEquals(200, r.status());
        assertEquals(Long.toString(SIZE), r.header("Content-Length"));
        assertEquals("bytes", r.header("Accept-Ranges"));
        assertEquals("Wed, 01 May 2024 10:00:00 GMT", r.header("Last-Modified"));
        assertTrue(r.header("ETag").matches("\"[^\"]+\""), r.header("ETag"));
        assertEquals("application/octet-stream", r.header("Content-Type"));
        assertNull(r.header("Transfer-Encoding"));
        assertArrayEquals(content, r.body());

        WireHttp.Response text = c.exchange("GET", "/files/a.txt?query=ignored");
        assertEquals(200, text.status());
        assertEquals("text/plain; charset=utf-8", text.header("Content-Type"));
        assertEquals("hello\n", new String(text.body(), StandardCharsets.UTF_8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void headAnswersTheHeadersOfGetWithoutABody(Client c) throws IOException {
        WireHttp.Response get = c.exchange("GET", "/files/f.bin");
        for (String[] extra : List.of(new String[0], new String[] {"Range: bytes=0-9"})) {
            WireHttp.Response head = c.exchange("HEAD", "/files/f.bin", extra);
            assertEquals(200, head.status(), "HEAD ignores Range, as the Netty server does");
            assertEquals(Long.toString(SIZE), head.header("Content-Length"));
            assertEquals(get.header("ETag"), head.header("ETag"));
            assertEquals(get.header("Last-Modified"), head.header("Last-Modified"));
            assertEquals("bytes", head.header("Accept-Ranges"));
            assertEquals(0, head.body().length);
        }
    }

    // ---- ranges ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void singleRangesAre206WithContentRangeAndExactBytes(Client c) throws IOException {
        long[][] cases = {
                {0, 99}, {WINDOW - 6, WINDOW + 9} /* across a window boundary */, {SIZE - 500, SIZE - 1} /* -500 */,
                {SIZE - 10, SIZE - 1}, {0, SIZE - 1}, {100, SIZE - 1}, {SIZE - 1, SIZE - 1}};
        String[] headers = {"bytes=0-99", "bytes=" + (WINDOW - 6) + "-" + (WINDOW + 9), "bytes=-500", "bytes=" + (SIZE - 10) + "-",
                "bytes=0-18446744073709551615", "bytes=100-99999999999999999999999",
                "Bytes=" + (SIZE - 1) + "-" + (SIZE - 1) /* the unit is case-insensitive */};
        for (int i = 0; i < cases.length; i++) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", "Range: " + headers[i]);
            assertEquals(206, r.status(), headers[i]);
            assertEquals("bytes " + cases[i][0] + "-" + cases[i][1] + "/" + SIZE, r.header("Content-Range"), headers[i]);
            assertEquals(Long.toString(cases[i][1] - cases[i][0] + 1), r.header("Content-Length"), headers[i]);
            assertEquals("application/octet-stream", r.header("Content-Type"));
            assertArrayEquals(slice(cases[i][0], cases[i][1]), r.body(), headers[i]);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void multipleRangesAreMultipartByterangesWithExactParts(Client c) throws IOException {
        WireHttp.Response r = c.exchange("GET", "/files/f.bin", "Range: bytes=0-9, " + (WINDOW - 50) + "-" + (WINDOW + 49) + ",-5");
        assertEquals(206, r.status());
        assertNull(r.header("Content-Range"));
        assertEquals(Integer.toString(r.body().length), r.header("Content-Length"));
        List<Multipart.Part> parts = Multipart.parse(r.body(), Multipart.boundary(r.header("Content-Type")));
        long[][] expected = {{0, 9}, {WINDOW - 50, WINDOW + 49}, {SIZE - 5, SIZE - 1}};
        assertEquals(expected.length, parts.size());
        for (int i = 0; i < expected.length; i++) {
            Multipart.Part p = parts.get(i);
            assertEquals(expected[i][0], p.first());
            assertEquals(expected[i][1], p.last());
            assertEquals(SIZE, p.size());
            assertEquals("application/octet-stream", p.headers().get("content-type"));
            assertArrayEquals(slice(expected[i][0], expected[i][1]), p.bytes(), "part " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void overlappingRangesAreCoalescedAndTooManyRangesServeTheWholeFile(Client c) throws IOException {
        WireHttp.Response merged = c.exchange("GET", "/files/f.bin", "Range: bytes=0-99,50-149,150-199");
        assertEquals(206, merged.status());
        assertEquals("bytes 0-199/" + SIZE, merged.header("Content-Range"));
        assertArrayEquals(slice(0, 199), merged.body());

        StringBuilder many = new StringBuilder("bytes=");
        for (int i = 0; i < 17; i++) {
            many.append(i == 0 ? "" : ",").append(i * 1000).append('-').append(i * 1000 + 1);
        }
        WireHttp.Response whole = c.exchange("GET", "/files/f.bin", "Range: " + many);
        assertEquals(200, whole.status(), "more than 16 parts: RangeLimits.DEFAULT serves the whole file");
        assertArrayEquals(content, whole.body());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void unsatisfiableRangesAre416WithTheSize(Client c) throws IOException {
        for (String range : List.of("bytes=" + SIZE + "-", "bytes=-0", "bytes=99999999999999999999-", "bytes=" + SIZE + "-" + (SIZE + 5))) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", "Range: " + range);
            assertEquals(416, r.status(), range);
            assertEquals("bytes */" + SIZE, r.header("Content-Range"), range);
            assertEquals(0, r.body().length);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void invalidRangeHeadersAreIgnored(Client c) throws IOException {
        for (String range : List.of("bytes=5-1", "items=0-1", "bytes=a-b", "bytes=", "bytes=1-2-3")) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", "Range: " + range);
            assertEquals(200, r.status(), range);
            assertArrayEquals(content, r.body(), range);
        }
    }

    // ---- conditionals ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void ifNoneMatchAndIfModifiedSinceGive304(Client c) throws IOException {
        String etag = etag(c);
        String lastModified = "Wed, 01 May 2024 10:00:00 GMT";
        for (String h : List.of("If-None-Match: " + etag, "If-None-Match: \"other\", " + etag, "If-None-Match: *",
                "If-None-Match: W/" + etag /* weak comparison */, "If-Modified-Since: " + lastModified)) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", h);
            assertEquals(304, r.status(), h);
            assertEquals(etag, r.header("ETag"), h);
            assertEquals(0, r.body().length, h);
        }
        for (String h : List.of("If-None-Match: \"other\"", "If-Modified-Since: Wed, 01 May 2024 09:59:59 GMT",
                "If-Modified-Since: not a date")) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", h);
            assertEquals(200, r.status(), h);
            assertArrayEquals(content, r.body(), h);
        }
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
        assertEquals(200, c.exchange("GET", "/files/f.bin", "If-None-Match: \"other\"", "If-Modified-Since: " + lastModified).status());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void ifMatchAndIfUnmodifiedSinceGive412WhenTheyFail(Client c) throws IOException {
        String etag = etag(c);
        for (String h : List.of("If-Match: \"other\"", "If-Match: W/" + etag /* If-Match compares strongly */,
                "If-Unmodified-Since: Wed, 01 May 2024 09:59:59 GMT")) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", h, "Range: bytes=0-9");
            assertEquals(412, r.status(), h);
            assertEquals(0, r.body().length, h);
        }
        for (String h : List.of("If-Match: " + etag, "If-Match: *", "If-Unmodified-Since: Wed, 01 May 2024 10:00:00 GMT")) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", h, "Range: bytes=0-9");
            assertEquals(206, r.status(), h);
            assertArrayEquals(slice(0, 9), r.body(), h);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void ifRangeHonoursTheRangeOnlyForTheCurrentRepresentation(Client c) throws IOException {
        String etag = etag(c);
        for (String ifRange : List.of(etag, "Wed, 01 May 2024 10:00:00 GMT")) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", "If-Range: " + ifRange, "Range: bytes=10-19");
            assertEquals(206, r.status(), ifRange);
            assertArrayEquals(slice(10, 19), r.body(), ifRange);
        }
        for (String ifRange : List.of("\"stale\"", "W/" + etag, "Wed, 01 May 2024 09:00:00 GMT", "garbage")) {
            WireHttp.Response r = c.exchange("GET", "/files/f.bin", "If-Range: " + ifRange, "Range: bytes=10-19");
            assertEquals(200, r.status(), ifRange);
            assertArrayEquals(content, r.body(), ifRange);
        }
        // multiple ranges behind a matching If-Range stay multipart
        WireHttp.Response multi = c.exchange("GET", "/files/f.bin", "If-Range: " + etag, "Range: bytes=0-0,1000-1000");
        assertEquals(206, multi.status());
        assertEquals(2, Multipart.parse(multi.body(), Multipart.boundary(multi.header("Content-Type"))).size());
    }

    // ---- methods and paths ----

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void otherMethodsGet405WithAllow(Client c) throws IOException {
        for (String m : List.of("POST", "PUT", "DELETE")) {
            WireHttp.Response r = c.exchange(m, "/files/f.bin");
            assertEquals(405, r.status(), m);
            assertEquals("GET, HEAD", r.header("Allow"), m);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void pathsCannotLeaveTheRootOrReachHiddenFiles(Client c) throws IOException {
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("/files/%2e%2e/secret.txt", 400);
        expected.put("/files/..%2fsecret.txt", 400);
        expected.put("/files/..%5csecret.txt", 400);
        expected.put("/files/sub%2f..%2f..%2fsecret.txt", 400);
        expected.put("/files/%c0%ae%c0%ae/secret.txt", 400);
        expected.put("/files/a.txt%00.png", 400);
        expected.put("/files/%252e%252e/secret.txt", 404);
        expected.put("/files/link.txt", 404);       // a symbolic link out of the root
        expected.put("/files/.hidden", 404);
        expected.put("/files/%2ehidden", 404);
        expected.put("/files/missing.bin", 404);
        expected.put("/files/a.txt/", 404);         // a file name followed by a slash names a directory
        expected.put("/files/", 404);               // a directory without index.html: no listing
        expected.put("/files/../root1/x.txt", 400); // only reachable without client-side normalisation
        for (Map.Entry<String, Integer> e : expected.entrySet()) {
            WireHttp.Response r = c.exchange("GET", e.getKey());
            if (r.status() != e.getValue()) {
                throw new AssertionError(e.getKey() + ": expected " + e.getValue() + " but got " + r.status() + " "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            String body = new String(r.body(), StandardCharsets.UTF_8);
            assertTrue(!body.contains("secret") && !body.contains("sibling"), e.getKey() + " leaked: " + body);
        }
        WireHttp.Response index = c.exchange("GET", "/files/sub/");
        assertEquals(200, index.status());
        assertEquals("<p>index</p>\n", new String(index.body(), StandardCharsets.UTF_8));
        assertEquals("text/html; charset=utf-8", index.header("Content-Type"));
        assertEquals(200, c.exchange("GET", "/files/sub//./index.html").status());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("clients")
    void datesAreHttpDates(Client c) throws IOException {
        WireHttp.Response r = c.exchange("GET", "/files/a.txt");
        assertNotNull(HttpDates.parse(r.header("Date")), r.header("Date"));
    }

    @org.junit.jupiter.api.Test
    void versionsAndHostHeadersFollowTheHttp1Rules() throws Exception {
        io.reactivemmap.netty.http.RequestRulesCases.assertAllOnReactorNetty(server.port(), "/files/f.bin");
    }
}
