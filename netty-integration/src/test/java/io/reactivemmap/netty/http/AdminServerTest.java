package io.reactivemmap.netty.http;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin port over real sockets: off by default, on loopback, {@code /health}, {@code /metrics} (the meters of
 * {@code docs/metrics.md}, with the values a few requests must give them, and a sent-bytes counter that grows during a
 * download), {@code /_stats}, and what it refuses. Every test must leave zero windows mapped.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class AdminServerTest {
    static final int SIZE = 200_000;
    static final int BIG = 32 << 20;

    @TempDir
    Path dir;
    Path root;
    FileServer server;

    FileServerOptions options() {
        return FileServerOptions.defaults(root).withPort(0).withIoThreads(2).withWindowSize(64 << 10)
                .withMaxBytesInFlight(256 << 10).withAdminPort(0);
    }

    @BeforeEach
    void setUp() throws Exception {
        root = Files.createDirectories(dir.resolve("root"));
        TestFiles.pattern(root, "data.bin", SIZE);
        Files.writeString(root.resolve("_stats"), "a file of that name");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    RawHttp.Response admin(String method, String path) throws IOException {
        try (RawHttp raw = new RawHttp(server.adminPort())) {
            return raw.request(method, path);
        }
    }

    String metrics() throws IOException {
        RawHttp.Response r = admin("GET", "/metrics");
        assertEquals(200, r.status());
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    /** The value of the one sample of {@code series} (a name with its labels as Prometheus writes them), or null. */
    static Double sample(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return m.find() ? Double.valueOf(m.group(1)) : null;
    }

    /** Scrapes until {@code series} satisfies {@code condition} (meters of closing connections settle late). */
    double awaitSample(String series, DoublePredicate condition) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String last;
        do {
            last = metrics();
            Double v = sample(last, series);
            if (v != null && condition.test(v)) {
                return v;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(series + " never got the value expected; last scrape:\n" + last);
    }

    @Test
    void theAdminPortIsOffByDefaultAndOpensNoPort() throws Exception {
        Set<String> before = listening();
        server = FileServer.start(FileServerOptions.defaults(root).withPort(0).withIoThreads(1));
        assertEquals(FileServerOptions.ADMIN_OFF, server.adminPort());
        assertNull(server.admin());
        Set<String> opened = listening();
        opened.removeAll(before);
        assertEquals(1, opened.size(), "the file port only: " + opened);
    }

    @Test
    void theAdminPortListensOnLoopbackOnItsOwnPort() throws Exception {
        Set<String> before = listening();
        server = FileServer.start(options().withHost("0.0.0.0"));
        assertNotEquals(server.port(), server.adminPort());
        Set<String> opened = listening();
        opened.removeAll(before);
        assertEquals(2, opened.size(), opened.toString());
        String admin = opened.stream().filter(s -> s.endsWith(":" + server.adminPort())).findFirst().orElseThrow();
        assertTrue(admin.startsWith("127.0.0.1:"), "the admin port is on loopback: " + opened);
        assertTrue(opened.contains("0.0.0.0:" + server.port()) || opened.contains(":::" + server.port()),
                "the file port on every interface, as it was told: " + opened); // :: for a dual-stack socket
    }

    @Test
    void healthSaysServingAndDrainingOnceTheServerDrains() throws Exception {
        server = FileServer.start(options());
        RawHttp.Response r = admin("GET", "/health");
        assertEquals(200, r.status());
        assertEquals("serving\n", new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("text/plain; charset=utf-8", r.header("content-type"));
        RawHttp.Response head = admin("HEAD", "/health");
        assertEquals(200, head.status());
        assertEquals("8", head.header("content-length"));
        server.admin().draining = () -> true; // what the file server's drain sets
        r = admin("GET", "/health");
        assertEquals(503, r.status());
        assertEquals("draining\n", new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test
    void metricsCountRequestsByStatusAndProtocolAndTheBytesSent() throws Exception {
        server = FileServer.start(options());
        try (RawHttp raw = new RawHttp(server.port())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = raw.request("GET", "/data.bin");
                assertEquals(200, r.status());
                assertArrayEquals(TestFiles.expected(0, SIZE), r.body());
            }
            assertEquals(404, raw.request("GET", "/missing").status());
            awaitSample("reactivemmap_server_requests_total{protocol=\"HTTP/1.1\",status=\"404\"}", v -> v == 1);
            String text = metrics();
            assertEquals(3.0, sample(text, "reactivemmap_server_requests_total{protocol=\"HTTP/1.1\",status=\"200\"}"), text);
            double sent = sample(text, "reactivemmap_server_sent_bytes_total");
            assertTrue(sent >= 3.0 * SIZE && sent < 3.0 * SIZE + 4096, "three bodies and four heads: " + sent);
            assertEquals(1.0, sample(text, "reactivemmap_server_connections_active"), text);
            assertEquals(0.0, sample(text, "reactivemmap_server_streams_active"), text);
            assertEquals(0.0, sample(text, "reactivemmap_server_timeouts_total{kind=\"idle\"}"), text);
            assertEquals(0.0, sample(text, "reactivemmap_server_tls_handshakes_total{outcome=\"success\"}"), text);
            assertTrue(text.contains("reactivemmap_windows_live_windows "), "the core's MappingMeters: " + text);
            assertTrue(text.contains("reactivemmap_budget_waits_total "), text);
            assertTrue(text.contains("reactivemmap_truncations_total "), text);
            assertTrue(text.contains("reactivemmap_budget_bytes{budget=\"global\"} "), text);
        }
        awaitSample("reactivemmap_server_connections_active", v -> v == 0);
        awaitSample("reactivemmap_windows_live_windows", v -> v == 0);
    }

    @Test
    void metricsCountHttp2StreamsAndTlsHandshakes() throws Exception {
        server = FileServer.start(options().withTls(TlsOptions.selfSigned()));
        try (HttpClient client = HttpClient.newBuilder().sslContext(TlsServerTest.trustAll())
                .version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + server.port() + "/data.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, r.version());
            awaitSample("reactivemmap_server_requests_total{protocol=\"HTTP/2\",status=\"200\"}", v -> v == 1);
            awaitSample("reactivemmap_server_tls_handshakes_total{outcome=\"success\"}", v -> v >= 1);
            awaitSample("reactivemmap_server_streams_active", v -> v == 0);
            assertTrue(awaitSample("reactivemmap_server_sent_bytes_total", v -> v > SIZE) > SIZE, "TLS records of the body");
        }
        try (RawHttp notTls = new RawHttp(server.port())) {
            notTls.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"); // plain text where a TLS handshake should be
            notTls.drain();
        }
        awaitSample("reactivemmap_server_tls_handshakes_total{outcome=\"failure\"}", v -> v >= 1);
        awaitSample("reactivemmap_server_connections_active", v -> v == 0);
    }

    @Test
    void metricsCountTimeoutsByKind() throws Exception {
        server = FileServer.start(options().withIdleTimeout(Duration.ofMillis(200))
                .withRequestHeadTimeout(Duration.ofMillis(200)));
        try (RawHttp idle = new RawHttp(server.port()); RawHttp slow = new RawHttp(server.port())) {
            slow.send("GET /data.bin HTTP/1.1\r\n"); // a head never finished
            idle.drain();
            slow.drain();
        }
        awaitSample("reactivemmap_server_timeouts_total{kind=\"idle\"}", v -> v == 1);
        awaitSample("reactivemmap_server_timeouts_total{kind=\"request_head\"}", v -> v == 1);
        assertEquals(0.0, sample(metrics(), "reactivemmap_server_timeouts_total{kind=\"min_rate\"}"));
    }

    /**
     * A download that takes long must show in the sent-bytes counter while it runs, not only at its end: here a 32 MiB
     * sendfile body (one file region, one write completion at the very end) to a client that reads slowly.
     */
    @Test
    void theSentBytesCounterGrowsDuringASlowDownload() throws Exception {
        TestFiles.pattern(root, "big.bin", BIG);
        // the guard's checks (which report the bytes) run every quarter of the shortest timeout: 100 ms here
        server = FileServer.start(options().withRequestHeadTimeout(Duration.ofMillis(400)));
        try (RawHttp slow = new RawHttp(server.port(), 16 << 10)) {
            slow.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, slow.readHead().status());
            byte[] first = slow.in.readNBytes(2 << 20);
            assertArrayEquals(TestFiles.expected(0, first.length), first);
            double early = awaitSample("reactivemmap_server_sent_bytes_total", v -> v >= 2 << 20);
            assertTrue(early < BIG, "counted before the body ended: " + early);
            byte[] more = slow.in.readNBytes(8 << 20);
            assertEquals(8 << 20, more.length);
            double later = awaitSample("reactivemmap_server_sent_bytes_total", v -> v >= 10 << 20);
            assertTrue(later > early && later < BIG, "still growing, still before the end: " + early + " then " + later);
        }
        awaitSample("reactivemmap_server_connections_active", v -> v == 0);
    }

    @Test
    void statsAnswerOnTheAdminPortAndTheFilePortServesAFileNamedStats() throws Exception {
        server = FileServer.start(options());
        RawHttp.Response stats = admin("GET", "/_stats");
        assertEquals(200, stats.status());
        assertEquals("application/json", stats.header("content-type"));
        String json = new String(stats.body(), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"liveWindows\":") && json.contains("\"openConnections\":0")
                && json.contains("\"bodyMode\":\"") && json.contains("\"http2BodyMode\":\""), json);
        try (RawHttp raw = new RawHttp(server.port())) {
            RawHttp.Response file = raw.request("GET", "/_stats");
            assertEquals(200, file.status());
            assertEquals("a file of that name", new String(file.body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void otherPathsAre404AndOtherMethods405WithAllow() throws Exception {
        server = FileServer.start(options());
        assertEquals(404, admin("GET", "/data.bin").status(), "the admin port serves no files");
        assertEquals(404, admin("GET", "/").status());
        assertEquals(404, admin("DELETE", "/nothing").status());
        for (String path : List.of("/health", "/metrics", "/_stats")) {
            RawHttp.Response r = admin("POST", path);
            assertEquals(405, r.status(), path);
            assertEquals("GET, HEAD", r.header("allow"), path);
        }
        assertEquals(200, admin("GET", "/metrics?name=x").status(), "a query string is ignored");
        try (RawHttp raw = new RawHttp(server.adminPort())) { // keep-alive: three answers on one connection
            for (String path : List.of("/health", "/nope", "/_stats")) {
                assertFalse(raw.request("GET", path).headers().containsKey("connection"), path);
            }
        }
    }

    @Test
    void anAdminPortInUseFailsTheStartNamingIt() throws Exception {
        try (FileServer other = FileServer.start(FileServerOptions.defaults(root).withPort(0).withIoThreads(1))) {
            IOException e = assertThrows(IOException.class, () -> FileServer.start(options().withAdminPort(other.port())));
            assertTrue(e.getMessage().startsWith("could not listen on the admin port 127.0.0.1:" + other.port() + ": "),
                    e.getMessage());
        }
    }

    /**
     * The TCP sockets this process listens on, as {@code address:port} ({@code 0.0.0.0}, {@code 127.0.0.1}, {@code ::}
     * and {@code ::1}; IPv4-mapped addresses as IPv4), from {@code /proc}: the sockets of this JVM only, whatever other
     * processes on the machine listen on.
     */
    static Set<String> listening() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException gone) {
                    // closed while listed
                }
            }
        }
        Set<String> listening = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = new ArrayList<>(Files.readAllLines(Path.of(table)));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    String[] local = f[1].split(":");
                    listening.add(address(local[0]) + ":" + Integer.parseInt(local[1], 16));
                }
            }
        }
        return listening;
    }

    private static String address(String hex) {
        String v4 = hex.length() == 8 ? hex : hex.startsWith("0000000000000000FFFF0000") ? hex.substring(24) : null;
        if (v4 != null) { // little-endian
            return Integer.parseInt(v4.substring(6, 8), 16) + "." + Integer.parseInt(v4.substring(4, 6), 16) + "."
                    + Integer.parseInt(v4.substring(2, 4), 16) + "." + Integer.parseInt(v4.substring(0, 2), 16);
        }
        return hex.equals("00000000000000000000000000000000") ? "::"
                : hex.equals("00000000000000000000000001000000") ? "::1" : hex;
    }
}
