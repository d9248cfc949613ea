package io.reactivemmap.netty.http;

import io.reactivemmap.netty.CapturingAccessLog;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three replicas behind a load balancer, for real: three {@link FileServer}s over three copies of one tree (copied
 * with their modification times), Debian's nginx in front as a round-robin reverse proxy, and {@code aria2c}
 * downloading a 64 MiB file through it over 16 connections, so that its ranges land on every replica. The file must
 * arrive byte for byte, every request with a {@code Range} must get {@code 206} (from whichever replica answered), and
 * the validators of one replica must hold on the others ({@code If-Range} with its {@code ETag} or
 * {@code Last-Modified}: {@code 206} from each). Skipped when nginx ({@code /usr/sbin/nginx}) or {@code aria2c} is not
 * installed; {@code .ci/run} installs both.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class ReplicasNginxAria2cTest {
    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final long SIZE = 64L << 20;
    /** With nanoseconds, so that the copies must keep them for the tags to agree. */
    private static final Instant MODIFIED = Instant.parse("2024-03-04T05:06:07.123456789Z");

    @TempDir
    Path dir;

    @Test
    void aria2cThroughNginxOverThreeReplicasGetsTheFileByteForByteAndEveryRangeA206() throws Exception {
        assumeTrue(Files.isExecutable(NGINX), "nginx is not installed at " + NGINX + " (apt-get install nginx)");
        assumeTrue(onPath("aria2c"), "aria2c is not installed (apt-get install aria2)");

        Path tree = Files.createDirectories(dir.resolve("tree"));
        Path original = TestFiles.pattern(tree, "big.bin", SIZE);
        Files.setLastModifiedTime(original, FileTime.from(MODIFIED));
        List<FileServer> replicas = new ArrayList<>();
        List<CapturingAccessLog> logs = new ArrayList<>();
        Process nginx = null;
        try {
            for (int i = 0; i < 3; i++) {
                Path copy = Files.createDirectories(dir.resolve("replica" + i));
                Files.copy(original, copy.resolve("big.bin"), StandardCopyOption.COPY_ATTRIBUTES);
                CapturingAccessLog log = new CapturingAccessLog();
                logs.add(log);
                replicas.add(FileServer.start(FileServerOptions.builder(copy).port(0).ioThreads(1).build(), log));
            }
            int port = freePort();
            Path nginxDir = Files.createDirectories(dir.resolve("nginx"));
            Path accessLog = nginxDir.resolve("access.log");
            Files.writeString(nginxDir.resolve("nginx.conf"), config(nginxDir, port, replicas));
            nginx = new ProcessBuilder(NGINX.toString(), "-p", nginxDir.toString(), "-c",
                    nginxDir.resolve("nginx.conf").toString(), "-e", nginxDir.resolve("error.log").toString())
                    .redirectErrorStream(true).redirectOutput(nginxDir.resolve("stdout.log").toFile()).start();
            awaitListening(port, nginx, nginxDir);

            Path downloads = Files.createDirectories(dir.resolve("downloads"));
            Process aria = new ProcessBuilder("aria2c", "--no-conf", "-x16", "-s16", "-k1M", "--dir",
                    downloads.toString(), "--out", "big.bin", "--file-allocation=none", "--allow-overwrite=true",
                    "--auto-file-renaming=false", "--max-tries=1", "--summary-interval=0", "--console-log-level=warn",
                    "--download-result=hide", "http://127.0.0.1:" + port + "/big.bin")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("aria2c.log").toFile()).start();
            assertTrue(aria.waitFor(40, TimeUnit.SECONDS), "aria2c finished");
            assertEquals(0, aria.exitValue(), () -> "aria2c exit code; its output: " + read(dir.resolve("aria2c.log")));

            assertArrayEquals(sha256(original), sha256(downloads.resolve("big.bin")), "the file arrived byte for byte");

            // The proxy's log says which requests had a Range and what the replica answered.
            List<String> lines = awaitLines(accessLog);
            long ranged = 0;
            for (String line : lines) {
                // "GET 206 206 127.0.0.1:port "bytes=..."": method, status, upstream status, upstream, Range
                String[] f = line.split(" ", 5);
                assertEquals("GET", f[0], line);
                if (!f[4].equals("\"-\"")) {
                    ranged++;
                    assertEquals("206", f[1], () -> "a ranged GET answered otherwise: " + line);
                    assertEquals("206", f[2], () -> "the replica's status: " + line);
                }
            }
            assertTrue(ranged >= 3, () -> "aria2c split the download into ranges: " + lines);

            // Our own access logs: every replica served some of it, and every 206 the proxy saw came from one of them.
            long partials = 0;
            for (int i = 0; i < 3; i++) {
                List<AccessLogRecord> records = awaitRecords(logs.get(i));
                int replica = i;
                assertFalse(records.isEmpty(), () -> "replica " + replica + " got no request: " + lines);
                for (AccessLogRecord r : records) {
                    assertTrue(r.status() == 206 || r.status() == 200, r::line);
                    if (r.status() == 206) {
                        partials++;
                    }
                }
            }
            assertEquals(ranged, partials, "every ranged request reached a replica as a 206");

            assertValidatorsHoldAcrossReplicas(replicas);
        } finally {
            if (nginx != null) {
                nginx.destroy(); // SIGTERM: nginx's fast shutdown, workers included
                if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
                    nginx.destroyForcibly();
                }
            }
            for (FileServer server : replicas) {
                server.close();
            }
            for (FileServer server : replicas) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (server.openConnections() > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
        }
    }

    /** {@code ETag} and {@code Last-Modified} from replica 0, sent with {@code If-Range} to the others: 206 each. */
    private static void assertValidatorsHoldAcrossReplicas(List<FileServer> replicas) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (client) {
            HttpResponse<Void> head = client.send(HttpRequest.newBuilder(uri(replicas.get(0)))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
            String etag = head.headers().firstValue("etag").orElseThrow();
            String lastModified = head.headers().firstValue("last-modified").orElseThrow();
            for (FileServer other : replicas.subList(1, replicas.size())) {
                for (String validator : List.of(etag, lastModified)) {
                    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri(other))
                            .header("Range", "bytes=1000-1999").header("If-Range", validator).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    assertEquals(206, r.statusCode(), () -> "If-Range: " + validator + " on port " + other.port());
                    assertArrayEquals(TestFiles.expected(1000, 1000), r.body());
                    assertEquals(etag, r.headers().firstValue("etag").orElseThrow(), "the same tag on every replica");
                }
            }
        }
    }

    private static URI uri(FileServer server) {
        return URI.create("http://127.0.0.1:" + server.port() + "/big.bin");
    }

    /** nginx in the foreground, everything it writes under {@code dir}, round robin over the replicas. */
    private static String config(Path dir, int port, List<FileServer> replicas) {
        StringBuilder upstream = new StringBuilder();
        for (FileServer r : replicas) {
            upstream.append("        server 127.0.0.1:").append(r.port()).append(";\n");
        }
        return """
                daemon off;
                master_process on;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 256; }
                http {
                    log_format replicas '$request_method $status $upstream_status $upstream_addr "$http_range"';
                    access_log %1$s/access.log replicas;
                    client_body_temp_path %1$s/client_body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    upstream replicas {
                %3$s    }
                    server {
                        listen 127.0.0.1:%2$d;
                        location / {
                            proxy_pass http://replicas;
                            proxy_http_version 1.1;
                            proxy_set_header Connection "";
                            proxy_buffering off;
                            proxy_next_upstream off;
                        }
                    }
                }
                """.formatted(dir, port, upstream);
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(int port, Process nginx, Path dir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            assertTrue(nginx.isAlive(), () -> "nginx exited: " + read(dir.resolve("stdout.log")) + read(dir.resolve("error.log")));
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("nginx did not listen on " + port + ": " + read(dir.resolve("error.log")));
    }

    /** The proxy's log lines, once nginx has written one per request (it writes when each response ends). */
    private static List<String> awaitLines(Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
            if (!lines.isEmpty()) {
                Thread.sleep(200); // the last connections' lines
                return Files.readAllLines(log);
            }
            Thread.sleep(50);
        }
        return lines;
    }

    /** A replica's records, once no new one has come for 200 ms (the last responses end as their connections close). */
    private static List<AccessLogRecord> awaitRecords(CapturingAccessLog log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        int seen = -1;
        while (System.nanoTime() < deadline) {
            int now = log.records().size();
            if (now == seen) {
                break;
            }
            seen = now;
            Thread.sleep(200);
        }
        return log.records();
    }

    private static byte[] sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return digest.digest();
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
