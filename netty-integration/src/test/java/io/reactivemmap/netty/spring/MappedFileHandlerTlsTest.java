package io.reactivemmap.netty.spring;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.HttpTestSupport;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebFlux on Reactor Netty under TLS (the JDK engine): the windows reach the engine in pieces, so a client that stops
 * reading holds a bounded amount of ciphertext on the server, not window after window of it, and the bytes arrive
 * whole and in order.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(120)
class MappedFileHandlerTlsTest {
    private static final int WINDOW = 16 << 20;
    private static final long BIG = 512L << 20;
    private static final int PATTERNED = (40 << 20) + 12345;

    @TempDir
    Path dir;

    private DisposableServer server;

    @BeforeEach
    void start() throws Exception {
        TestFiles.sparse(dir, "big.bin", BIG);
        TestFiles.pattern(dir, "data.bin", PATTERNED);
        MappedFileHandler files = MappedFileHandler.of(RootDirectory.of(dir, false, false),
                MapOptions.defaults().withWindowSize(WINDOW).withMaxLiveBytes(4L * WINDOW), RangeLimits.DEFAULT);
        SslContext tls = SslContextBuilder.forServer(HttpTestSupport.selfSignedKeyManager()).sslProvider(SslProvider.JDK).build();
        server = HttpServer.create().host("127.0.0.1").port(0).secure(spec -> spec.sslContext(tls))
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(
                        RouterFunctions.route(RequestPredicates.path("/**"), files))))
                .bindNow();
    }

    @AfterEach
    void stop() {
        server.disposeNow();
    }

    private static long allocated() {
        assertTrue(ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider,
                "the default allocator reports no metrics: " + ByteBufAllocator.DEFAULT);
        ByteBufAllocatorMetric m = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric();
        return m.usedDirectMemory() + m.usedHeapMemory();
    }

    @Test
    void aClientThatStopsReadingHoldsABoundedAmountOfCiphertext() throws Exception {
        long before = allocated();
        long peak = before;
        try (SSLSocket socket = (SSLSocket) HttpTestSupport.trustAll().getSocketFactory().createSocket("localhost", server.port())) {
            socket.setReceiveBufferSize(64 << 10);
            socket.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertEquals(1 << 20, in.readNBytes(1 << 20).length);
            // Stop reading: the server has a whole 512 MiB body to send and no client to take it.
            for (int i = 0; i < 30; i++) {
                Thread.sleep(100);
                peak = Math.max(peak, allocated());
            }
            assertTrue(MappingStats.snapshot().liveWindows() <= 4, "more windows than maxLiveBytes allows: "
                    + MappingStats.snapshot());
        }
        long grown = peak - before;
        assertTrue(grown < (48L << 20), "the server buffered " + (grown >> 20) + " MiB for one stalled TLS client");
    }

    @Test
    void theBodyArrivesWholeAndInOrderInPieces() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().sslContext(HttpTestSupport.trustAll())
                .version(HttpClient.Version.HTTP_1_1).build()) {
            URI uri = URI.create("https://localhost:" + server.port() + "/data.bin");
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertArrayEquals(TestFiles.expected(0, PATTERNED), r.body());
            HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(uri).header("Range", "bytes=16777000-16843000").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, range.statusCode());
            assertArrayEquals(TestFiles.expected(16777000, 16843000 - 16777000 + 1), range.body());
        }
    }
}
