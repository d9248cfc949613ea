package io.reactivemmap.netty.reactor;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.BodyMode;
import io.reactivemmap.netty.http.HttpTestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
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
 * {@link BodyMode#AUTO}, the default: {@code sendfile} on a plain connection (nothing mapped), mapped windows under TLS
 * with the JDK provider (where Reactor Netty's {@code sendFile} would copy 1 KiB chunks).
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class FileRouteAutoModeTest {
    static final int SIZE = 300_000;
    static final int WINDOW = 64 << 10;

    @TempDir
    Path dir;

    private FileRoute route() throws Exception {
        FileRouteOptions options = FileRouteOptions.defaults(dir).withWindowSize(WINDOW);
        assertEquals(BodyMode.AUTO, options.bodyMode());
        return FileRoute.of(options);
    }

    @Test
    void plainConnectionsGetSendfileAndMapNothing() throws Exception {
        TestFiles.pattern(dir, "data.bin", SIZE);
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0).handle(route()).bindNow();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            long before = MappingStats.snapshot().windowsMapped();
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/data.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertArrayEquals(TestFiles.expected(0, SIZE), r.body());
            assertEquals(0, MappingStats.snapshot().windowsMapped() - before, "sendfile, not windows");
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void tlsConnectionsGetMappedWindowsThroughTheJdkEngine() throws Exception {
        TestFiles.pattern(dir, "data.bin", SIZE);
        TestFiles.pattern(dir, "big.bin", 16 << 20);
        SslContext tls = SslContextBuilder.forServer(HttpTestSupport.selfSignedKeyManager()).sslProvider(SslProvider.JDK).build();
        FileRoute files = route();
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                .secure(spec -> spec.sslContext(tls))
                .route(routes -> routes.get("/**", files).head("/**", files))
                .bindNow();
        try (HttpClient client = HttpClient.newBuilder().sslContext(HttpTestSupport.trustAll()).version(HttpClient.Version.HTTP_1_1).build()) {
            URI uri = URI.create("https://localhost:" + server.port() + "/data.bin");
            long before = MappingStats.snapshot().windowsMapped();
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertArrayEquals(TestFiles.expected(0, SIZE), r.body());
            assertTrue(MappingStats.snapshot().windowsMapped() - before >= SIZE / WINDOW, "the body went out as mapped windows");

            HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(uri).header("Range", "bytes=100-199,-10").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, range.statusCode());
            String body = new String(range.body(), StandardCharsets.ISO_8859_1);
            assertTrue(body.contains(new String(TestFiles.expected(100, 100), StandardCharsets.ISO_8859_1)));
            assertTrue(body.contains(new String(TestFiles.expected(SIZE - 10, 10), StandardCharsets.ISO_8859_1)));
            assertEquals(Long.parseLong(range.headers().firstValue("content-length").orElseThrow()), range.body().length);

            HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(uri).HEAD().build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(String.valueOf(SIZE), head.headers().firstValue("content-length").orElseThrow());
            assertEquals(0, head.body().length);
        }
        // A client that goes away mid-download under TLS leaves nothing mapped either.
        try (SSLSocket socket = (SSLSocket) HttpTestSupport.trustAll().getSocketFactory().createSocket("localhost", server.port())) {
            socket.setReceiveBufferSize(64 << 10);
            socket.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            assertEquals(1 << 20, in.readNBytes(1 << 20).length);
        } finally {
            NoLeakedWindows.assertNothingMapped();
            server.disposeNow();
        }
    }
}
