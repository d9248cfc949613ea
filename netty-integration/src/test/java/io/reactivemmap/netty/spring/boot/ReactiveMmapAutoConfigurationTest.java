package io.reactivemmap.netty.spring.boot;

import io.micrometer.core.instrument.MeterRegistry;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.spring.Multipart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Spring Boot WebFlux application on Reactor Netty whose only set-up is properties: the auto-configuration serves
 * {@code reactive-mmap.static.root} at {@code /files/**} and a {@code file:} static location at {@code /**} through
 * {@code MappedFileHandler}; a {@code classpath:} location and a controller keep working beside it.
 */
@SpringBootTest(classes = ReactiveMmapAutoConfigurationTest.App.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "reactive-mmap.static.path-pattern=/files/**",
                "reactive-mmap.static.precompressed=true",
                "reactive-mmap.static.window-size=1MB",
                "reactive-mmap.static.max-bytes-per-response=4MB",
                "reactive-mmap.static.cache-control=public, max-age=60",
                "management.endpoints.web.exposure.include=metrics",
                "spring.main.banner-mode=off"})
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class ReactiveMmapAutoConfigurationTest {
    static {
        // Boot's logging system would re-read the JVM's java.util.logging configuration, which other tests in this
        // JVM set up for themselves.
        System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    }

    private static final Path DIR = tempDir();
    private static final long DATA = 3L * (1 << 20) + 7;
    private static final long BIG = 256L << 20;
    private static final String OUR_ETAG = "\"[0-9a-f]+-[0-9a-f]+\"";

    @SpringBootConfiguration
    @EnableAutoConfiguration
    @Import(App.Api.class)
    static class App {
        @RestController
        static class Api {
            @GetMapping("/api/hello")
            String hello() {
                return "hi";
            }
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    MeterRegistry registry;

    private final HttpClient http = HttpClient.newHttpClient();

    private static Path tempDir() {
        try {
            Path dir = Files.createTempDirectory("boot-static");
            Path root = Files.createDirectories(dir.resolve("root"));
            TestFiles.pattern(root, "data.bin", DATA);
            TestFiles.sparse(root, "big.bin", BIG);
            Files.writeString(root.resolve("a.txt"), "plain text, also gzipped beside it\n".repeat(50));
            try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(root.resolve("a.txt.gz")))) {
                gz.write(Files.readAllBytes(root.resolve("a.txt")));
            }
            Files.writeString(root.resolve(".secret"), "not for clients");
            Path site = Files.createDirectories(dir.resolve("site"));
            Files.writeString(site.resolve("page.txt"), "a page from a file: location");
            Files.writeString(site.resolve(".env"), "PASSWORD=hunter2");
            Files.createDirectories(site.resolve("docs"));
            Files.writeString(site.resolve("docs/index.html"), "<p>docs</p>");
            Files.createDirectories(site.resolve("noindex"));
            Files.createSymbolicLink(site.resolve("out.txt"), root.resolve("a.txt")); // leads out of site/
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void locations(DynamicPropertyRegistry registry) {
        registry.add("reactive-mmap.static.root", () -> DIR.resolve("root").toString());
        registry.add("spring.web.resources.static-locations",
                () -> "file:" + DIR.resolve("site") + "/,classpath:/boot-static/");
    }

    @AfterAll
    static void delete() throws IOException {
        try (Stream<Path> all = Files.walk(DIR)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private HttpResponse<byte[]> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    @Test
    void theRootIsServedWholeWithTheFileServersValidatorsAndTheCacheControlProperty() throws Exception {
        HttpResponse<byte[]> r = get("/files/data.bin");
        assertEquals(200, r.statusCode());
        assertArrayEquals(TestFiles.expected(0, (int) DATA), r.body());
        assertTrue(header(r, "ETag").matches(OUR_ETAG), "not the mapped handler's ETag: " + header(r, "ETag"));
        assertEquals("bytes", header(r, "Accept-Ranges"));
        assertEquals("public, max-age=60", header(r, "Cache-Control"));
    }

    @Test
    void singleAndMultipleRanges() throws Exception {
        HttpResponse<byte[]> one = get("/files/data.bin", "Range", "bytes=1048570-1048589");
        assertEquals(206, one.statusCode());
        assertEquals("bytes 1048570-1048589/" + DATA, header(one, "Content-Range"));
        assertArrayEquals(TestFiles.expected(1048570, 20), one.body());

        HttpResponse<byte[]> two = get("/files/data.bin", "Range", "bytes=0-9,2097152-2097161");
        assertEquals(206, two.statusCode());
        List<Multipart.Part> parts = Multipart.parse(two.body(), Multipart.boundary(header(two, "Content-Type")));
        assertEquals(2, parts.size());
        assertArrayEquals(TestFiles.expected(0, 10), parts.get(0).bytes());
        assertArrayEquals(TestFiles.expected(2097152, 10), parts.get(1).bytes());
    }

    @Test
    void conditionalRequestsAndUnsatisfiableRanges() throws Exception {
        String etag = header(get("/files/data.bin", "Range", "bytes=0-0"), "ETag");
        assertEquals(304, get("/files/data.bin", "If-None-Match", etag).statusCode());
        assertEquals(412, get("/files/data.bin", "If-Match", "\"other\"").statusCode());
        HttpResponse<byte[]> r416 = get("/files/data.bin", "Range", "bytes=" + DATA + "-");
        assertEquals(416, r416.statusCode());
        assertEquals("bytes */" + DATA, header(r416, "Content-Range"));
        HttpResponse<byte[]> stale = get("/files/data.bin", "Range", "bytes=0-9", "If-Range", "\"stale\"");
        assertEquals(200, stale.statusCode(), "If-Range with another ETag: the whole file");
        assertEquals(DATA, stale.body().length);
        HttpResponse<byte[]> fresh = get("/files/data.bin", "Range", "bytes=0-9", "If-Range", etag);
        assertEquals(206, fresh.statusCode());
    }

    @Test
    void aPrecompressedSiblingGoesToAClientThatAcceptsIt() throws Exception {
        HttpResponse<byte[]> gz = get("/files/a.txt", "Accept-Encoding", "br;q=0, gzip");
        assertEquals(200, gz.statusCode());
        assertEquals("gzip", header(gz, "Content-Encoding"));
        assertArrayEquals(Files.readAllBytes(DIR.resolve("root/a.txt.gz")), gz.body());
        assertTrue(header(gz, "Vary").toLowerCase(java.util.Locale.ROOT).contains("accept-encoding"),
                gz.headers().map().toString());
        HttpResponse<byte[]> identity = get("/files/a.txt");
        assertEquals("", header(identity, "Content-Encoding"));
        assertArrayEquals(Files.readAllBytes(DIR.resolve("root/a.txt")), identity.body());
    }

    @Test
    void aFileLocationIsServedAtTheStaticPathPatternByTheMappedHandler() throws Exception {
        HttpResponse<byte[]> page = get("/page.txt");
        assertEquals(200, page.statusCode());
        assertEquals("a page from a file: location", new String(page.body(), StandardCharsets.UTF_8));
        assertTrue(header(page, "ETag").matches(OUR_ETAG), "not the mapped handler: " + page.headers().map());
        HttpResponse<byte[]> index = get("/docs/");
        assertEquals(200, index.statusCode());
        assertEquals("<p>docs</p>", new String(index.body(), StandardCharsets.UTF_8));
    }

    @Test
    void whatTheRulesRefuseIsAnswered404AndNeverHandedToSpringsHandler() throws Exception {
        // Spring's own resource handler would serve these from the file: location; the mapped handler's rules refuse
        // them (hidden names, a link out of the directory, a directory without an index), and they stay refused.
        assertEquals(404, get("/.env").statusCode());
        assertEquals(404, get("/files/.secret").statusCode());
        assertEquals(404, get("/out.txt").statusCode());
        assertEquals(404, get("/noindex/").statusCode());
        assertEquals(400, get("/files/a%2Fb").statusCode(), "an encoded separator is a bad path, as in the file server");
    }

    @Test
    void aClasspathLocationStaysWithSpringAndControllersComeFirst() throws Exception {
        HttpResponse<byte[]> cp = get("/fromjar.txt");
        assertEquals(200, cp.statusCode());
        assertEquals("from the class path\n", new String(cp.body(), StandardCharsets.UTF_8));
        assertFalse(header(cp, "ETag").matches(OUR_ETAG), "served by the mapped handler: " + cp.headers().map());
        assertEquals("hi", new String(get("/api/hello").body(), StandardCharsets.UTF_8));
        assertEquals(404, get("/nothing-here.txt").statusCode());
    }

    @Test
    void webTestClientSeesTheSameResponses() {
        WebTestClient client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build();
        byte[] body = client.get().uri("/files/data.bin").header("Range", "bytes=100-199").exchange()
                .expectStatus().isEqualTo(206)
                .expectHeader().valueEquals("Content-Range", "bytes 100-199/" + DATA)
                .expectBody().returnResult().getResponseBody();
        assertArrayEquals(TestFiles.expected(100, 100), body);
    }

    @Test
    void webTestClientHead() {
        WebTestClient client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build();
        client.head().uri("/files/data.bin").exchange().expectStatus().isOk()
                .expectHeader().contentLength(DATA);
    }

    @Test
    void webTestClientPost() {
        WebTestClient client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build();
        // The 405 has a short text body: read it, or WebTestClient's own Reactor Netty client leaves that buffer
        // unreleased (Netty's leak detector reported it from HttpClientCodec, the client side).
        byte[] body = client.post().uri("/files/data.bin").exchange().expectStatus().isEqualTo(405)
                .expectHeader().valueEquals("Allow", "GET, HEAD")
                .expectBody().returnResult().getResponseBody();
        assertTrue(body != null && body.length > 0, "the 405 carries its text");
    }

    @Test
    void aSmallFileIsCopiedFromTheCheckedDescriptorAndALargeOneMapped() throws Exception {
        long before = MappingStats.snapshot().windowsMapped();
        HttpResponse<byte[]> small = get("/files/a.txt");
        assertEquals(200, small.statusCode());
        assertArrayEquals(Files.readAllBytes(DIR.resolve("root/a.txt")), small.body());
        assertEquals(before, MappingStats.snapshot().windowsMapped(), "a body under 64 KiB must not be mapped");
        HttpResponse<byte[]> ranges = get("/files/data.bin", "Range", "bytes=0-9,2097152-2097161");
        assertEquals(206, ranges.statusCode());
        assertEquals(before, MappingStats.snapshot().windowsMapped(), "20 bytes of ranges must not be mapped");
        assertEquals(200, get("/files/data.bin").statusCode());
        assertTrue(MappingStats.snapshot().windowsMapped() >= before + 4, "3 MiB in 1 MiB windows must be mapped");
    }

    @Test
    void aDownloadCancelledMidwayLeavesNothingMapped() throws Exception {
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.getOutputStream().write(("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            byte[] buf = new byte[1 << 16];
            long read = 0;
            while (read < (8L << 20)) {
                int n = in.read(buf);
                assertTrue(n > 0, "the download ended early");
                read += n;
            }
        }
        assertTrue(MappingStats.snapshot().windowsMapped() > mappedBefore, "the body was not sent as mapped windows");
        NoLeakedWindows.assertNothingMapped();
    }

    @Test
    void theMappingMetersAreOnTheApplicationsRegistryAndInTheActuator() throws Exception {
        assertEquals(200, get("/files/data.bin").statusCode());
        assertNotNull(registry.find("reactivemmap.windows.live").gauge(), "no reactivemmap.windows.live gauge");
        double mapped = registry.get("reactivemmap.windows.mapped").functionCounter().count();
        assertTrue(mapped >= 4, "3 MiB in 1 MiB windows maps at least 4 windows; the counter says " + mapped);
        HttpResponse<byte[]> m = get("/actuator/metrics/reactivemmap.windows.mapped");
        assertEquals(200, m.statusCode(), () -> new String(m.body(), StandardCharsets.UTF_8));
        String json = new String(m.body(), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"name\":\"reactivemmap.windows.mapped\"") && json.contains("\"COUNT\""), json);
        HttpResponse<byte[]> names = get("/actuator/metrics");
        String all = new String(names.body(), StandardCharsets.UTF_8);
        for (String name : Arrays.asList("reactivemmap.mapped", "reactivemmap.windows.live", "reactivemmap.budget.bytes")) {
            assertTrue(all.contains("\"" + name + "\""), name + " missing from " + all);
        }
    }
}
