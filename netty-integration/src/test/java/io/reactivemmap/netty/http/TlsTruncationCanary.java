package io.reactivemmap.netty.http;

import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.TestFiles;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The child JVM of {@link TlsTruncationForkedTest}: serves a large file over TLS (mapped windows read by the JDK TLS
 * engine), truncates it while a client is part-way through downloading it, and prints what the client saw. A read of
 * a truncated mapping by Java code makes HotSpot raise a late {@link InternalError}; if that escaped, or native code
 * read the mapping, this JVM would die or log instead of printing the final marker.
 */
public final class TlsTruncationCanary {
    static final String MARKER = "TLS-TRUNCATION-CANARY-DONE";
    static final int SIZE = 48 << 20;
    static final int READ_BEFORE = 3 << 20;

    /** Held strongly: java.util.logging forgets the level of a logger that is garbage-collected. */
    private static final java.util.logging.Logger LOGGER = java.util.logging.Logger.getLogger("io.reactivemmap");

    private TlsTruncationCanary() {
    }

    /** The server's DEBUG lines show how each response ended (and any error that reached a handler, with its trace). */
    static void logServerDebugLines() {
        LOGGER.setLevel(java.util.logging.Level.FINE);
        java.util.logging.ConsoleHandler handler = new java.util.logging.ConsoleHandler();
        handler.setLevel(java.util.logging.Level.FINE);
        LOGGER.addHandler(handler);
        LOGGER.setUseParentHandlers(false);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        logServerDebugLines();
        // Not page-aligned: the tail of the last page reads as zeros without any fault, which must not reach the client.
        long truncateTo = Long.parseLong(args[1]);
        Path file = TestFiles.pattern(dir, "big.bin", SIZE);
        String frontEnd = args.length > 2 ? args[2] : "server";
        System.out.println("FRONT END " + frontEnd);
        Download download;
        try (AutoCloseable server = frontEnd.equals("route") ? routeServer(dir) : frontEnd.equals("webflux") ? webFluxServer(dir)
                : FileServer.start(FileServerOptions.defaults(dir).withPort(0)
                .withIoThreads(1).withTls(TlsOptions.selfSigned()).withWindowSize(1 << 20).withMaxBytesInFlight(2 << 20));
             SSLSocket socket = (SSLSocket) TlsServerTest.trustAll().getSocketFactory().createSocket("127.0.0.1",
                     server instanceof FileServer fs ? fs.port() : ((RouteServer) server).port())) {
            socket.setReceiveBufferSize(64 << 10);
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            String head = RawHttp.headText(in);
            System.out.println("HEAD " + head.lines().findFirst().orElse("") + " | " + head.lines()
                    .filter(l -> l.toLowerCase().startsWith("content-length")).findFirst().orElse("no content-length"));
            download = Download.read(in, file, READ_BEFORE, truncateTo);
        }
        download.report(SIZE);
    }

    /** What the client saw of the body: bytes, bytes that were not the file's, and how the stream ended. */
    record Download(long received, long mismatches, long firstMismatch, String end) {
        /**
         * Reads {@code in} to its end, checking every byte against the pattern, and truncates {@code file} to
         * {@code truncateTo} once {@code readBefore} bytes have arrived.
         */
        static Download read(InputStream in, Path file, long readBefore, long truncateTo) throws IOException {
            byte[] buf = new byte[1 << 16];
            long received = 0;
            long mismatches = 0;
            long firstMismatch = -1;
            String end = "eof";
            boolean truncated = false;
            try {
                for (int n; (n = in.read(buf, 0, (int) Math.min(buf.length, truncated ? buf.length : readBefore - received))) >= 0; ) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] != TestFiles.byteAt(received + i)) {
                            mismatches++;
                            if (firstMismatch < 0) {
                                firstMismatch = received + i;
                            }
                        }
                    }
                    received += n;
                    if (!truncated && received == readBefore) {
                        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                            ch.truncate(truncateTo);
                        }
                        truncated = true;
                        System.out.println("TRUNCATED to " + truncateTo + " after reading " + received);
                    }
                }
            } catch (IOException e) {
                end = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            return new Download(received, mismatches, firstMismatch, end);
        }

        /** Waits (up to 5 s) for every window to be unmapped, then prints the RESULT line and the marker. */
        void report(long size) throws InterruptedException {
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (MappingStats.snapshot().liveWindows() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            System.out.println("RESULT received=" + received + " size=" + size + " mismatches=" + mismatches
                    + " firstMismatch=" + firstMismatch + " liveWindows=" + MappingStats.snapshot().liveWindows() + " end=" + end);
            System.out.println(MARKER);
        }
    }
    /** The Reactor Netty front end: {@code FileRoute} in mapped mode under JDK TLS. */
    private record RouteServer(reactor.netty.DisposableServer server) implements AutoCloseable {
        int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.disposeNow();
        }
    }

    private static RouteServer routeServer(Path dir) throws Exception {
        io.netty.handler.ssl.SslContext tls = io.netty.handler.ssl.SslContextBuilder
                .forServer(HttpTestSupport.selfSignedKeyManager()).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build();
        io.reactivemmap.netty.reactor.FileRoute files = io.reactivemmap.netty.reactor.FileRoute.of(
                io.reactivemmap.netty.reactor.FileRouteOptions.defaults(dir).withBodyMode(BodyMode.MAPPED)
                        .withWindowSize(1 << 20).withMaxBytesInFlight(2 << 20));
        return new RouteServer(reactor.netty.http.server.HttpServer.create().host("127.0.0.1").port(0)
                .secure(spec -> spec.sslContext(tls)).handle(files).bindNow());
    }

    /** Spring WebFlux on Reactor Netty under JDK TLS, {@code MappedFileHandler} on a functional router. */
    private static RouteServer webFluxServer(Path dir) throws Exception {
        io.netty.handler.ssl.SslContext tls = io.netty.handler.ssl.SslContextBuilder
                .forServer(HttpTestSupport.selfSignedKeyManager()).sslProvider(io.netty.handler.ssl.SslProvider.JDK).build();
        io.reactivemmap.netty.spring.MappedFileHandler files = io.reactivemmap.netty.spring.MappedFileHandler.of(
                RootDirectory.of(dir, false, false), io.reactivemmap.MapOptions.defaults().withWindowSize(1 << 20), RangeLimits.DEFAULT);
        var routes = org.springframework.web.reactive.function.server.RouterFunctions.route(
                org.springframework.web.reactive.function.server.RequestPredicates.path("/**"), files);
        return new RouteServer(reactor.netty.http.server.HttpServer.create().host("127.0.0.1").port(0)
                .secure(spec -> spec.sslContext(tls))
                .handle(new org.springframework.http.server.reactive.ReactorHttpHandlerAdapter(
                        org.springframework.web.reactive.function.server.RouterFunctions.toHttpHandler(routes)))
                .bindNow());
    }

}
