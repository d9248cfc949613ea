package io.reactivemmap.netty.http;

import io.reactivemmap.netty.TestFiles;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/**
 * {@link TlsTruncationCanary} over HTTP/2: the child JVM of {@link Http2TlsTruncationForkedTest} serves a large file to
 * the JDK {@link HttpClient} over h2 (ALPN), truncates it part-way through, and prints what the client saw. The DATA
 * frames' payloads are slices of mapped windows read by the JDK TLS engine, so they must pass the same
 * {@link TlsWindowGuard} checks as HTTP/1.1 bodies.
 */
public final class Http2TlsTruncationCanary {
    private Http2TlsTruncationCanary() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        TlsTruncationCanary.logServerDebugLines();
        long truncateTo = Long.parseLong(args[1]);
        int size = TlsTruncationCanary.SIZE;
        int readBefore = TlsTruncationCanary.READ_BEFORE;
        Path file = TestFiles.pattern(dir, "big.bin", size);
        FileServerOptions options = FileServerOptions.defaults(dir).withPort(0).withIoThreads(1)
                .withTls(TlsOptions.selfSigned()).withWindowSize(1 << 20).withMaxBytesInFlight(2 << 20);
        TlsTruncationCanary.Download download;
        try (FileServer server = FileServer.start(options);
             HttpClient client = HttpClient.newBuilder().sslContext(TlsServerTest.trustAll())
                     .version(HttpClient.Version.HTTP_2).build()) {
            HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.port()
                    + "/big.bin")).build(), HttpResponse.BodyHandlers.ofInputStream());
            System.out.println("HEAD " + r.version() + " " + r.statusCode() + " | content-length: "
                    + r.headers().firstValue("content-length").orElse("none"));
            if (r.version() != HttpClient.Version.HTTP_2) {
                throw new IllegalStateException("expected HTTP/2, got " + r.version());
            }
            try (InputStream in = r.body()) {
                download = TlsTruncationCanary.Download.read(in, file, readBefore, truncateTo);
            }
        }
        download.report(size);
    }
}
