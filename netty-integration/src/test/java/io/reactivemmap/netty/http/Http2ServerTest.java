package io.reactivemmap.netty.http;

import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * HTTP/2 through the real {@link FileServer#start}: h2 over TLS (ALPN) with the JDK {@link HttpClient} and curl, h2c
 * with prior knowledge with curl, and HTTP/1.1 still served next to them. Every test ends with no window mapped and
 * no leaked buffer.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class Http2ServerTest {
    /** Above SmallBodySender's copy threshold: sent as mapped windows. */
    static final int SIZE = 300_000;
    static final int BIG = 32 << 20;
    private static final Path CURL = Path.of("/usr/bin/curl");

    @TempDir
    Path root;
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @BeforeEach
    void files() throws IOException {
        TestFiles.pattern(root, "data.bin", SIZE);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLast.reversed()) {
            c.close();
        }
    }

    private FileServer start(boolean tls) throws IOException {
        FileServerOptions options = FileServerOptions.defaults(root).withPort(0).withIoThreads(2).withWindowSize(64 << 10)
                .withMaxBytesInFlight(256 << 10).withAdminPort(0);
        return start(tls ? options.withTls(TlsOptions.selfSigned()) : options);
    }

    private FileServer start(FileServerOptions options) throws IOException {
        FileServer server = FileServer.start(options);
        closeLast.add(() -> {
            server.close();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.openConnections() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, server.openConnections(), "connections still open");
        });
        return server;
    }

    private HttpClient h2Client() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(TlsServerTest.trustAll()).version(HttpClient.Version.HTTP_2).build();
        closeLast.add(client);
        return client;
    }

    private static URI https(FileServer server, String path) {
        return URI.create("https://localhost:" + server.port() + path);
    }

    private static HttpResponse<byte[]> get(HttpClient client, URI uri, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri);
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aTlsClientOfferingH2GetsTheFileOverHttp2FromMappedWindows() throws Exception {
        FileServer server = start(true);
        HttpClient client = h2Client();
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        HttpResponse<byte[]> r = get(client, https(server, "/data.bin"));
        assertEquals(HttpClient.Version.HTTP_2, r.version());
        assertEquals(200, r.statusCode());
        assertArrayEquals(TestFiles.expected(0, SIZE), r.body());
        assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElseThrow());
        assertEquals("bytes", r.headers().firstValue("accept-ranges").orElseThrow());
        assertTrue(r.headers().firstValue("etag").orElseThrow().startsWith("\""));
        assertTrue(r.headers().firstValue("last-modified").isPresent());
        assertTrue(MappingStats.snapshot().windowsMapped() - mappedBefore >= SIZE / (64 << 10),
                "the body went out as mapped windows");
    }

    @Test
    void rangesConditionalsAndErrorsOverH2AreThoseOfHttp11() throws Exception {
        FileServer server = start(true);
        HttpClient client = h2Client();
        URI uri = https(server, "/data.bin");

        HttpResponse<byte[]> range = get(client, uri, "Range", "bytes=1000-1999");
        assertEquals(HttpClient.Version.HTTP_2, range.version());
        assertEquals(206, range.statusCode());
        assertEquals("bytes 1000-1999/" + SIZE, range.headers().firstValue("content-range").orElseThrow());
        assertArrayEquals(TestFiles.expected(1000, 1000), range.body());
        assertArrayEquals(TestFiles.expected(SIZE - 100, 100), get(client, uri, "Range", "bytes=-100").body());

        HttpResponse<byte[]> multi = get(client, uri, "Range", "bytes=0-9,100000-289999,-5");
        assertEquals(206, multi.statusCode());
        String type = multi.headers().firstValue("content-type").orElseThrow();
        String boundary = type.substring(type.indexOf("boundary=") + 9);
        List<ByteRange> ranges = List.of(new ByteRange(0, 9), new ByteRange(100_000, 289_999), new ByteRange(SIZE - 5, SIZE - 1));
        assertArrayEquals(multipartBody(ranges, boundary), multi.body(), "the exact multipart/byteranges body");
        assertEquals(String.valueOf(multi.body().length), multi.headers().firstValue("content-length").orElseThrow());

        String etag = range.headers().firstValue("etag").orElseThrow();
        HttpResponse<byte[]> notModified = get(client, uri, "If-None-Match", etag);
        assertEquals(304, notModified.statusCode());
        assertEquals(0, notModified.body().length);
        assertEquals(412, get(client, uri, "If-Match", "\"other\"").statusCode());
        HttpResponse<byte[]> unsatisfiable = get(client, uri, "Range", "bytes=" + SIZE + "-");
        assertEquals(416, unsatisfiable.statusCode());
        assertEquals("bytes */" + SIZE, unsatisfiable.headers().firstValue("content-range").orElseThrow());

        HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(uri).HEAD().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        assertEquals(String.valueOf(SIZE), head.headers().firstValue("content-length").orElseThrow());

        assertEquals(404, get(client, https(server, "/missing.bin")).statusCode());
        assertEquals(404, get(client, https(server, "/.hidden")).statusCode());
        assertEquals(400, get(client, https(server, "/a%2fb")).statusCode());
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertEquals("GET, HEAD", post.headers().firstValue("allow").orElseThrow());
        try (RawHttp admin = new RawHttp(server.adminPort())) {
            String stats = new String(admin.request("GET", "/_stats").body(), StandardCharsets.UTF_8);
            // what the HTTP/2 streams use (sendfile cannot fill DATA frames), not a constant
            assertTrue(stats.contains("\"http2BodyMode\":\"up to 256 KiB copied, larger mapped\""), stats);
        }
        assertEquals(1, server.openConnections(), "every request went over one connection");
    }

    /** What a multipart/byteranges body with {@code boundary} over data.bin must be, byte for byte. */
    private static byte[] multipartBody(List<ByteRange> ranges, String boundary) {
        return multipartBody(ranges, SIZE, boundary);
    }

    /** What a multipart/byteranges body with {@code boundary} over a pattern file of {@code size} bytes must be. */
    static byte[] multipartBody(List<ByteRange> ranges, long size, String boundary) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (BodyPart p : MultipartByteRanges.of(ranges, size, "application/octet-stream", boundary).parts()) {
            switch (p) {
                case BodyPart.Bytes b -> out.writeBytes(b.bytes());
                case BodyPart.FileRange r -> out.writeBytes(TestFiles.expected(r.offset(), (int) r.length()));
            }
        }
        return out.toByteArray();
    }

    @Test
    void concurrentStreamsOnOneConnectionEachGetTheirExactBytes() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG / 4);
        FileServer server = start(true);
        HttpClient client = h2Client();
        get(client, https(server, "/data.bin")); // the connection, so the requests below share it
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            URI uri = https(server, i % 2 == 0 ? "/big.bin" : "/data.bin");
            String range = "bytes=" + (i * 1000) + "-";
            responses.add(client.sendAsync(HttpRequest.newBuilder(uri).header("Range", range).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        for (int i = 0; i < responses.size(); i++) {
            HttpResponse<byte[]> r = responses.get(i).get(30, TimeUnit.SECONDS);
            int size = i % 2 == 0 ? BIG / 4 : SIZE;
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            assertEquals(206, r.statusCode());
            assertArrayEquals(TestFiles.expected(i * 1000L, size - i * 1000), r.body(), "stream " + i);
        }
        assertEquals(1, server.openConnections(), "all streams on one connection");
    }

    @Test
    void aStreamCancelledMidBodyUnmapsItsWindowsAndTheConnectionLivesOn() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        FileServer server = start(true);
        HttpClient client = h2Client();
        for (int i = 0; i < 3; i++) {
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(https(server, "/big.bin")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            try (InputStream in = r.body()) {
                assertArrayEquals(TestFiles.expected(0, 1 << 20), in.readNBytes(1 << 20));
                // The body stalls on this reader (it reads no more) holding a window; between two windows none may be
                // mapped for an instant, so wait for the stall rather than sample once.
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (MappingStats.snapshot().liveWindows() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(MappingStats.snapshot().liveWindows() > 0, "part-way through a body, windows are mapped");
            } // cancels the stream: RST_STREAM(CANCEL)
            awaitNoWindows();
        }
        assertEquals(1, server.openConnections(), "a stream reset does not close the connection");
        assertArrayEquals(TestFiles.expected(0, SIZE), get(client, https(server, "/data.bin")).body());
    }

    @Test
    void closingTheConnectionMidBodyUnmapsEveryStreamsWindows() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        FileServer server = start(true);
        HttpClient client = HttpClient.newBuilder().sslContext(TlsServerTest.trustAll()).version(HttpClient.Version.HTTP_2).build();
        List<InputStream> bodies = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // send() returns with the response headers; the bodies are left unread, so the client's windows fill up
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(https(server, "/big.bin")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, r.statusCode());
            bodies.add(r.body());
        }
        assertTrue(MappingStats.snapshot().liveWindows() > 0, "three bodies in progress");
        client.shutdownNow(); // closes the connection with three streams mid-body
        assertTrue(client.awaitTermination(java.time.Duration.ofSeconds(10)));
        awaitNoWindows();
        for (InputStream in : bodies) {
            in.close();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.openConnections());
    }

    @Test
    void curlNegotiatesH2OverTlsAndGetsRanges() throws Exception {
        assumeTrue(Files.isExecutable(CURL), "curl is not installed");
        FileServer server = start(true);
        Curl whole = curl("-k", "--http2", https(server, "/data.bin").toString());
        assertEquals("2 200", whole.info());
        assertArrayEquals(TestFiles.expected(0, SIZE), whole.body());
        Curl range = curl("-k", "--http2", "-r", "5000-5999", https(server, "/data.bin").toString());
        assertEquals("2 206", range.info());
        assertArrayEquals(TestFiles.expected(5000, 1000), range.body());
    }

    @Test
    void curlWithPriorKnowledgeGetsH2cOnAPlainConnection() throws Exception {
        assumeTrue(Files.isExecutable(CURL), "curl is not installed");
        FileServer server = start(false);
        String base = "http://127.0.0.1:" + server.port();
        Curl whole = curl("--http2-prior-knowledge", base + "/data.bin");
        assertEquals("2 200", whole.info());
        assertArrayEquals(TestFiles.expected(0, SIZE), whole.body());
        Curl range = curl("--http2-prior-knowledge", "-r", "100-199", base + "/data.bin");
        assertEquals("2 206", range.info());
        assertArrayEquals(TestFiles.expected(100, 100), range.body());
        Curl multi = curl("--http2-prior-knowledge", "-r", "0-9,200000-200009", base + "/data.bin");
        assertEquals("2 206", multi.info());
        String body = new String(multi.body(), StandardCharsets.ISO_8859_1);
        assertTrue(body.contains("Content-Range: bytes 200000-200009/" + SIZE + "\r\n\r\n"
                + new String(TestFiles.expected(200_000, 10), StandardCharsets.ISO_8859_1)), body);
        String etag = curl("--http2-prior-knowledge", "-I", base + "/data.bin").header("etag");
        assertEquals("2 304", curl("--http2-prior-knowledge", "-H", "If-None-Match: " + etag, base + "/data.bin").info());
        assertEquals("2 404", curl("--http2-prior-knowledge", base + "/nothing-here").info());
        // without prior knowledge the same port speaks HTTP/1.1
        Curl http1 = curl(base + "/data.bin");
        assertEquals("1.1 200", http1.info());
        assertArrayEquals(TestFiles.expected(0, SIZE), http1.body());
    }

    @Test
    void curlMultiplexesSeveralTransfersOverOneH2Connection() throws Exception {
        assumeTrue(Files.isExecutable(CURL), "curl is not installed");
        TestFiles.pattern(root, "big.bin", BIG / 8);
        // Over TLS: curl 7.88 (Debian 12) fails every transfer after the first when it reuses a prior-knowledge h2c
        // connection ("Error in the HTTP2 framing layer", curl/curl#10634, fixed in 7.89).
        FileServer server = start(true);
        String base = "https://localhost:" + server.port();
        List<String> command = new ArrayList<>(List.of(CURL.toString(), "-sS", "-k", "--http2", "--parallel",
                "--parallel-max", "4", "-w", "%{http_version} %{http_code} %{num_connects} %{size_download}\\n"));
        for (int i = 0; i < 4; i++) {
            command.addAll(List.of("-o", root.resolve("out" + i).toString(), base + (i % 2 == 0 ? "/big.bin" : "/data.bin")));
        }
        // (stdout only: with --parallel, curl 7.88 draws its progress meter on stderr despite -s)
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        int connects = 0;
        for (String line : out.strip().lines().toList()) {
            String[] f = line.split(" ");
            assertEquals("2", f[0], out);
            assertEquals("200", f[1], out);
            connects += Integer.parseInt(f[2]);
        }
        assertEquals(1, connects, "four transfers over one connection:\n" + out);
        for (int i = 0; i < 4; i++) {
            int size = i % 2 == 0 ? BIG / 8 : SIZE;
            assertArrayEquals(TestFiles.expected(0, size), Files.readAllBytes(root.resolve("out" + i)), "transfer " + i);
        }
    }

    @Test
    void withHttp2OffTlsClientsGetHttp11AndThePrefaceIsNotUnderstood() throws Exception {
        FileServer server = start(FileServerOptions.defaults(root).withPort(0).withIoThreads(1).withHttp2(false)
                .withTls(TlsOptions.selfSigned()));
        HttpResponse<byte[]> r = get(h2Client(), https(server, "/data.bin"));
        assertEquals(HttpClient.Version.HTTP_1_1, r.version(), "no h2 offered in ALPN");
        assertArrayEquals(TestFiles.expected(0, SIZE), r.body());
        if (Files.isExecutable(CURL)) {
            FileServer plain = start(FileServerOptions.defaults(root).withPort(0).withIoThreads(1).withHttp2(false));
            Curl c = curl("--http2-prior-knowledge", "http://127.0.0.1:" + plain.port() + "/data.bin");
            assertNotEquals("2 200", c.info());
        }
    }

    @Test
    void aConnectionOverTheCapGets503OverH2() throws Exception {
        FileServer server = start(FileServerOptions.defaults(root).withPort(0).withIoThreads(1).withMaxConnections(1)
                .withTls(TlsOptions.selfSigned()));
        HttpClient first = h2Client();
        assertEquals(200, get(first, https(server, "/data.bin")).statusCode()); // holds the one allowed connection
        HttpResponse<byte[]> refused = get(h2Client(), https(server, "/data.bin"));
        assertEquals(HttpClient.Version.HTTP_2, refused.version());
        assertEquals(503, refused.statusCode());
        assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow());
    }

    /**
     * Waits (up to 10 s) until no window has been mapped for 100 ms running: a read-ahead already under way on the
     * background thread when the stream was cancelled may still map its window and close it at once (a late arrival),
     * so one reading of zero is not the end.
     */
    private static void awaitNoWindows() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long zeroSince = -1;
        while (System.nanoTime() < deadline) {
            if (MappingStats.snapshot().liveWindows() > 0) {
                zeroSince = -1;
            } else if (zeroSince < 0) {
                zeroSince = System.nanoTime();
            } else if (System.nanoTime() - zeroSince >= 100_000_000L) {
                return;
            }
            Thread.sleep(5);
        }
        assertEquals(0, MappingStats.snapshot().liveWindows(), "windows still mapped");
    }

    /** A finished curl run: "HTTP-version status", the body, and the response headers. */
    private record Curl(String info, byte[] body, String headers) {
        String header(String name) {
            return headers.lines().filter(l -> l.toLowerCase().startsWith(name + ":")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in\n" + headers));
        }
    }

    private Curl curl(String... args) throws Exception {
        Path body = Files.createTempFile(root, "curl", ".body");
        Path headers = Files.createTempFile(root, "curl", ".headers");
        List<String> command = new ArrayList<>(List.of(CURL.toString(), "-sS", "-o", body.toString(), "-D", headers.toString(),
                "-w", "%{http_version} %{http_code}"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        String info = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor(30, TimeUnit.SECONDS);
        return new Curl(info, Files.readAllBytes(body), Files.readString(headers, StandardCharsets.ISO_8859_1));
    }
}
