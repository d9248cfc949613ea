package io.reactivemmap.samples;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every runnable sample, started as its own process from the <em>packaged</em> jars (failsafe runs this after
 * {@code package}, with the module jars on the class path instead of the classes folders), doing its job on a
 * small generated file, with its output checked against a reference computed here.
 */
class SamplesPackagedIT {
    @TempDir
    static Path dir;
    static Path data;
    static byte[] bytes;

    @BeforeAll
    static void generate() throws IOException {
        bytes = new byte[3 * (1 << 20) + 12345];
        new Random(42).nextBytes(bytes);
        data = dir.resolve("data.bin");
        Files.write(data, bytes);
    }

    @Test
    void theClassPathIsMadeOfPackagedJars() {
        String cp = System.getProperty("java.class.path");
        List<String> entries = Arrays.asList(cp.split(java.io.File.pathSeparator));
        assertTrue(entries.stream().anyMatch(e -> e.matches(".*samples-[^/]*\\.jar")), cp);
        assertTrue(entries.stream().anyMatch(e -> e.matches(".*reactive-mmap-[^/]*\\.jar")), cp);
        assertTrue(entries.stream().noneMatch(e -> e.endsWith("/classes") && !e.contains("test-classes")),
                "no classes folder of a module may stand in for its jar: " + cp);
    }

    @Test
    void checksumMainPrintsTheCrc32cOfTheFile() throws Exception {
        Result r = run(List.of("io.reactivemmap.samples.ChecksumMain", data.toString(), "--window-size", "1m"));
        assertEquals(0, r.exit, r.toString());
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        assertTrue(r.out.contains(String.format("crc32c %08x  %s", crc.getValue(), data)), r.toString());
        assertTrue(r.out.contains("0 live after"), r.toString());
    }

    @Test
    void parallelChecksumMainAgreesWithMessageDigestAndCrc32c() throws Exception {
        Result r = run(List.of("io.reactivemmap.samples.ParallelChecksumMain", data.toString(), "--window-size", "1m"));
        assertEquals(0, r.exit, r.toString());
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        assertTrue(r.out.contains("sha256 " + sha + "  " + data), r.toString());
        assertTrue(r.out.contains(String.format("crc32c %08x  %s", crc.getValue(), data)), r.toString());
    }

    @Test
    void grepMainCountsMatchingLines() throws Exception {
        Path log = dir.resolve("app.log");
        StringBuilder sb = new StringBuilder();
        Random random = new Random(7);
        int expected = 0;
        for (int i = 0; i < 20_000; i++) {
            boolean error = random.nextInt(10) == 0;
            expected += error ? 1 : 0;
            sb.append("2026-11-26T12:00:00 ").append(error ? "ERROR" : "INFO").append(" request ").append(i).append('\n');
        }
        Files.writeString(log, sb);
        Result r = run(List.of("io.reactivemmap.samples.GrepMain", log.toString(), "--pattern", "ERROR", "--window-size", "64k"));
        assertEquals(0, r.exit, r.toString());
        assertTrue(r.out.contains("matched " + expected + " lines 20000  " + log), r.toString());
    }

    @Test
    void kotlinCoroutinesSampleChecksumsTheFile() throws Exception {
        Result r = run(List.of("io.reactivemmap.samples.kotlin.CoroutinesSample", "checksum", data.toString()));
        assertEquals(0, r.exit, r.toString());
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        assertTrue(r.out.contains(String.format("checksum crc32c=%08x bytes=%d", crc.getValue(), bytes.length)), r.toString());
        assertTrue(r.out.contains("stats liveWindows=0"), r.toString());
    }

    @Test
    void fileServerMainServesTheFileWholeAndByRange() throws Exception {
        serveAndDownload(List.of("io.reactivemmap.samples.FileServerMain", "--root", dir.toString(), "--port", "0"), "");
    }

    /** The admin port with the packaged jars: Micrometer's Prometheus registry must be on the program's class path. */
    @Test
    void fileServerMainAnswersHealthAndMetricsOnItsAdminPort() throws Exception {
        Process p = start(List.of("io.reactivemmap.samples.FileServerMain", "--root", dir.toString(), "--port", "0",
                "--admin-port", "0"));
        try {
            BlockingQueue<String> lines = lines(p);
            String url = awaitUrl(p, lines);
            String adminLine = lines.poll(30, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("Admin .* at (http://127\\.0\\.0\\.1:\\d+/)").matcher(String.valueOf(adminLine));
            assertTrue(m.find(), "the admin line: " + adminLine);
            URI admin = URI.create(m.group(1));
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                assertEquals(200, client.send(HttpRequest.newBuilder(URI.create(url + "data.bin")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());
                HttpResponse<String> health = client.send(HttpRequest.newBuilder(admin.resolve("/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                assertEquals("serving\n", health.body());
                HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(admin.resolve("/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, metrics.statusCode());
                assertTrue(metrics.body().contains("reactivemmap_server_requests_total{protocol=\"HTTP/1.1\",status=\"200\"} 1.0"),
                        metrics.body());
            }
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
        }
    }

    @Test
    void fileServerMainOnAPortInUseExitsWithOneLineNamingTheAddress() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Result r = run(List.of("io.reactivemmap.samples.FileServerMain", "--root", dir.toString(),
                    "--port", Integer.toString(taken.getLocalPort())));
            assertEquals(1, r.exit, r.toString());
            List<String> lines = r.out.lines().filter(l -> !l.isBlank()).toList();
            assertEquals(1, lines.size(), "one line, no stack trace: " + r.out);
            assertTrue(lines.get(0).contains("127.0.0.1:" + taken.getLocalPort()) && lines.get(0).contains("in use"), r.out);
        }
    }

    @Test
    void fileServerMainRejectsABadValueWithOneLineAndExitCode2() throws Exception {
        Result r = run(List.of("io.reactivemmap.samples.FileServerMain", "--root", dir.toString(), "--window-size", "3000m"));
        assertEquals(2, r.exit, r.toString());
        assertEquals(List.of("FileServerMain: invalid --window-size '3000m': expected a size from 4k to 2147479551 "
                + "(bytes; k, m, g are powers of 1024)"), r.out.lines().filter(l -> !l.isBlank()).toList(), r.out);
    }

    @Test
    void fileServerMainReadsItsOptionsFromTheEnvironment() throws Exception {
        Result r = run(List.of("io.reactivemmap.samples.FileServerMain", "--root", dir.toString()),
                Map.of("REACTIVE_MMAP_PORT", "http"));
        assertEquals(2, r.exit, r.toString());
        assertEquals(List.of("FileServerMain: invalid REACTIVE_MMAP_PORT (the environment variable of --port) 'http': "
                + "expected a port number, 0-65535 (0 picks a free one)"), r.out.lines().filter(l -> !l.isBlank()).toList(), r.out);
    }

    @Test
    void fileServerMainPrintsTheProjectVersionFromItsJar() throws Exception {
        Result r = run(List.of("io.reactivemmap.samples.FileServerMain", "--version"));
        assertEquals(0, r.exit, r.toString());
        assertTrue(r.out.matches("FileServerMain \\d+\\.\\d+\\.\\d+\\S* \\(reactive-mmap file server; Java [^)]+\\)\\R"), r.out);
    }

    /**
     * The Maven profiles start a sample through {@link ExitWithParent}: when the process that started it ends without
     * taking its child along (SIGTERM to Maven; here SIGKILL to a shell), the server stops and frees its port.
     */
    @Test
    void aServerStartedThroughExitWithParentStopsWhenItsParentEnds() throws Exception {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(List.of("io.reactivemmap.samples.ExitWithParent", "io.reactivemmap.samples.FileServerMain",
                "--root", dir.toString(), "--port", "0"));
        String line = cmd.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(java.util.stream.Collectors.joining(" "));
        Process shell = new ProcessBuilder("sh", "-c", line + "; exit 0").redirectErrorStream(true).directory(dir.toFile()).start();
        ProcessHandle server = null;
        try {
            BlockingQueue<String> lines = lines(shell);
            String url = awaitUrl(shell, lines);
            URI uri = URI.create(url);
            server = shell.children().findFirst().orElseThrow(() -> new AssertionError("the shell has no child"));
            shell.destroyForcibly(); // the shell dies at once; its child, the server, is orphaned
            assertTrue(shell.waitFor(10, TimeUnit.SECONDS));
            assertTrue(server.onExit().get(30, TimeUnit.SECONDS) != null && !server.isAlive(),
                    "the server outlived the process that started it");
            try (java.net.Socket s = new java.net.Socket()) {
                assertThrows(IOException.class, () -> s.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()), 2_000),
                        "the port still accepts connections");
            }
        } finally {
            if (server != null) {
                server.destroyForcibly();
            }
            shell.destroyForcibly();
        }
    }

    @Test
    void springFileServerAppServesTheFileWholeAndByRange() throws Exception {
        serveAndDownload(List.of("io.reactivemmap.samples.spring.SpringFileServerApp", "--files.root=" + dir,
                "--server.port=0"), "files/");
    }

    @Test
    void springStaticFilesAppServesTheFileWithPropertiesOnly() throws Exception {
        // No code in the application: the auto-configuration serves reactive-mmap.static.root at /files/**. Boot's own
        // start-up line gives the port.
        serveAndDownload(List.of("io.reactivemmap.samples.boot.SpringStaticFilesApp",
                "--reactive-mmap.static.root=" + dir, "--server.port=0"), "files/");
    }

    @Test
    void reactorNettyServeMainServesTheFileWholeAndByRange() throws Exception {
        serveAndDownload(List.of("io.reactivemmap.samples.ReactorNettyServeMain", "--root", dir.toString(), "--port", "0"), "");
    }

    @Test
    void nettyHttpFileMainSendsTheWholeFile() throws Exception {
        // It serves its one file whatever the path: the download below asks for /data.bin.
        serveAndDownload(List.of("io.reactivemmap.samples.NettyHttpFileMain", data.toString(), "--port", "0"), "", false);
    }

    private static void serveAndDownload(List<String> mainAndArgs, String prefix) throws Exception {
        serveAndDownload(mainAndArgs, prefix, true);
    }

    /** Starts a serving sample, waits for its "Serving ... at URL" line, downloads data.bin whole (and by range), stops it. */
    private static void serveAndDownload(List<String> mainAndArgs, String prefix, boolean ranges) throws Exception {
        Process p = start(mainAndArgs);
        try {
            String url = awaitUrl(p, lines(p));
            try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
                URI file = URI.create(url + prefix + "data.bin");
                HttpResponse<byte[]> whole = client.send(HttpRequest.newBuilder(file).build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, whole.statusCode());
                assertArrayEquals(bytes, whole.body());
                if (!ranges) {
                    return;
                }
                HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(file)
                        .header("Range", "bytes=0-99").build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(206, range.statusCode());
                assertArrayEquals(Arrays.copyOf(bytes, 100), range.body());
                assertEquals("bytes 0-99/" + bytes.length, range.headers().firstValue("content-range").orElseThrow());
            }
        } finally {
            p.destroy(); // SIGTERM: the shutdown hook closes the server
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
        }
    }

    private record Result(int exit, String out) {
    }

    private static List<String> javaCommand() {
        return List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"));
    }

    private static Process start(List<String> mainAndArgs) throws IOException {
        return start(mainAndArgs, Map.of());
    }

    /** Starts a sample with {@code env} added to this process's environment. */
    private static Process start(List<String> mainAndArgs, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(mainAndArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The lines {@code p} prints, read by a virtual thread. */
    static BlockingQueue<String> lines(Process p) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
        return lines;
    }

    /** Waits (up to 90 s) for a serving sample's "Serving ... at URL" line and returns the URL. */
    private static String awaitUrl(Process p, BlockingQueue<String> lines) throws InterruptedException {
        Pattern serving = Pattern.compile("Serving .* at (http://[^ ]+?/)(files/)?( |$)");
        Pattern boot = Pattern.compile("Netty started on port (\\d+)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            String l = lines.poll(1, TimeUnit.SECONDS);
            if (l != null) {
                seen.add(l);
                Matcher m = serving.matcher(l);
                if (m.find()) {
                    return m.group(1);
                }
                Matcher b = boot.matcher(l);
                if (b.find()) {
                    return "http://127.0.0.1:" + b.group(1) + "/";
                }
            }
            if (!p.isAlive() && lines.isEmpty()) {
                fail("the server exited with " + p.exitValue() + " before serving: " + String.join("\n", seen));
            }
        }
        return fail("the server never printed its URL: " + String.join("\n", seen));
    }

    private static Result run(List<String> mainAndArgs) throws Exception {
        return run(mainAndArgs, Map.of());
    }

    private static Result run(List<String> mainAndArgs, Map<String, String> env) throws Exception {
        Process p = start(mainAndArgs, env);
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + mainAndArgs);
        }
        reader.join();
        return new Result(p.exitValue(), out.toString());
    }
}
