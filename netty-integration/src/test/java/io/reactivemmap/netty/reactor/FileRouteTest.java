package io.reactivemmap.netty.reactor;

import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.HttpTestSupport;
import io.reactivemmap.netty.http.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SocketChannel;
import java.nio.ByteBuffer;
import java.net.StandardSocketOptions;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What belongs to {@link FileRoute} as a route on a real Reactor Netty {@code HttpServer}, once per body mode: how it
 * is mounted (the prefix, matched by segments and decoded; 405 where the route sees other methods), {@code OPTIONS *}
 * when it is the server's only handler, whether the mode maps windows, and the bound on what a slow reader keeps mapped.
 * What every front end answers alike is the shared {@code io.reactivemmap.netty.contract.FileExchangeContract}. Every
 * test must leave zero windows mapped and no leaked buffer.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(BodyMode.class)
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
class FileRouteTest {
    static final int SIZE = 200_000;
    static final int BIG = 32 << 20;
    static final int WINDOW = 64 << 10;
    static final long IN_FLIGHT = 256 << 10;

    @TempDir
    Path dir;
    Path root;
    Bound server;
    HttpClient client;

    @Parameter
    BodyMode mode;

    /** The body mode under test. */
    BodyMode mode() {
        return mode;
    }

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

    /** What a slow download saw: its bytes (head included) and the most bytes mapped while it read. */
    private record Download(byte[] bytes, long maxMappedSeen) {
    }

    /**
     * Sends {@code request} and reads the whole response slowly (16 KiB receive buffer, 16 KiB reads, a pause every
     * few reads) until the server has sent {@code total} bytes, watching the mapped bytes as it goes.
     */
    private Download slowDownload(String request, int headAndBodyAtLeast) throws Exception {
        try (SocketChannel socket = SocketChannel.open()) {
            socket.setOption(StandardSocketOptions.SO_RCVBUF, 16 << 10);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            ByteBuffer all = ByteBuffer.allocate(headAndBodyAtLeast + (64 << 10));
            ByteBuffer buf = ByteBuffer.allocate(16 << 10);
            long maxMapped = 0;
            int reads = 0;
            while (all.position() < headAndBodyAtLeast || !complete(all)) {
                buf.clear();
                int n = socket.read(buf);
                if (n < 0) {
                    break;
                }
                all.put(buf.flip());
                maxMapped = Math.max(maxMapped, MappingStats.snapshot().mappedBytes());
                if (++reads % 4 == 0) {
                    Thread.sleep(1);
                }
            }
            byte[] bytes = new byte[all.position()];
            all.flip().get(bytes);
            return new Download(bytes, maxMapped);
        }
    }

    /** Whether the response in {@code all} (head and body) is complete according to its Content-Length. */
    private static boolean complete(ByteBuffer all) {
        String text = new String(all.array(), 0, all.position(), StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String lower = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        int at = lower.indexOf("content-length:");
        int eol = lower.indexOf("\r\n", at);
        long length = Long.parseLong(lower.substring(at + 15, eol < 0 ? end : eol).strip());
        return all.position() >= end + 4 + length;
    }

    @Test
    void aSlowReaderNeverHasMoreThanTheInFlightBudgetMapped() throws Exception {
        assumeTrue(mode == BodyMode.MAPPED, "only mapped windows count against the in-flight bound");
        int size = 8 << 20;
        TestFiles.pattern(root, "big.bin", size);
        MappingStats.resetPeak();
        Download d = slowDownload("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n", size);
        String text = new String(d.bytes(), StandardCharsets.ISO_8859_1);
        int bodyStart = text.indexOf("\r\n\r\n") + 4;
        assertEquals(size, d.bytes().length - bodyStart);
        for (int i = 0; i < size; i += 4093) {
            assertEquals(TestFiles.byteAt(i), d.bytes()[bodyStart + i], "byte " + i);
        }
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= IN_FLIGHT, "peak mapped " + peak + " > budget " + IN_FLIGHT);
        assertTrue(d.maxMappedSeen() <= IN_FLIGHT, "mapped while reading " + d.maxMappedSeen());
        assertTrue(peak >= 2L * WINDOW, "the budget was reached, not avoided by a fast client: " + peak);
    }

    @Test
    void aMultipartBodyHoldsTheBudgetAcrossAllItsRanges() throws Exception {
        assumeTrue(mode == BodyMode.MAPPED, "only mapped windows count against the in-flight bound");
        int size = 8 << 20;
        TestFiles.pattern(root, "big.bin", size);
        // Eight ranges of exactly the budget each, 1 MiB apart: each range's source alone stays within the budget, so
        // only sending one part after the other keeps the whole response within it.
        StringBuilder ranges = new StringBuilder("bytes=");
        for (int i = 0; i < 8; i++) {
            long first = (long) i << 20;
            ranges.append(i == 0 ? "" : ",").append(first).append('-').append(first + IN_FLIGHT - 1);
        }
        MappingStats.resetPeak();
        Download d = slowDownload("GET /files/big.bin HTTP/1.1\r\nHost: x\r\nRange: " + ranges + "\r\n\r\n",
                (int) (8 * IN_FLIGHT));
        String text = new String(d.bytes(), StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 206"), text.substring(0, 40));
        for (int i = 0; i < 8; i++) {
            long first = (long) i << 20;
            String header = "Content-Range: bytes " + first + "-" + (first + IN_FLIGHT - 1) + "/" + size + "\r\n\r\n";
            int at = text.indexOf(header);
            assertTrue(at > 0, "part " + i);
            int body = at + header.length();
            assertEquals(TestFiles.byteAt(first), d.bytes()[body]);
            assertEquals(TestFiles.byteAt(first + IN_FLIGHT - 1), d.bytes()[body + (int) IN_FLIGHT - 1]);
        }
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= IN_FLIGHT, "peak mapped " + peak + " > budget " + IN_FLIGHT);
        assertTrue(d.maxMappedSeen() <= IN_FLIGHT, "mapped while reading " + d.maxMappedSeen());
    }
}
