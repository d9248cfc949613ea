package io.reactivemmap.samples;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The file server as an operator runs it: {@code java -jar reactive-mmap-server.jar}, the jar {@code package} built
 * (failsafe runs this after it), started as a child process with no JVM flag at all. It must start on epoll without a
 * native-access warning, serve a file byte for byte, answer {@code --version}, {@code --help} and a bad option, and
 * stop the way an operator stops it: the first SIGTERM drains (a download in progress finishes, then exit 0), a second
 * one closes at once.
 */
@Timeout(60)
class ServerJarIT {
    static final Path JAR = Path.of("target", "reactive-mmap-server.jar");
    static final long BIG = 1L << 30;

    @TempDir
    static Path dir;
    static byte[] bytes;

    @BeforeAll
    static void files() throws IOException {
        assertTrue(Files.isRegularFile(JAR), "no " + JAR.toAbsolutePath() + ": the package phase builds it");
        bytes = new byte[2 * (1 << 20) + 777];
        new Random(3).nextBytes(bytes);
        Files.write(dir.resolve("data.bin"), bytes);
        try (RandomAccessFile sparse = new RandomAccessFile(dir.resolve("big.bin").toFile(), "rw")) {
            sparse.setLength(BIG); // 1 GiB of zeros that take no disk space
        }
    }

    /** A running server: its process, stdout lines, stderr (all of it, once it ended) and URL. */
    private record Server(Process process, BlockingQueue<String> out, CompletableFuture<String> err, URI url) {
        /**
         * Sends SIGTERM (on Linux). Through the process handle: {@code Process.destroy()} also closes our ends of the
         * process's stdout and stderr, and what the server prints while it drains would be lost.
         */
        void sigterm() {
            assertTrue(process.toHandle().destroy(), "SIGTERM not sent");
        }

        /** Sends SIGINT, what Ctrl-C in a terminal sends, with {@code kill -INT} (the JDK has no API for it). */
        void sigint() throws IOException, InterruptedException {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).inheritIO().start();
            assertTrue(kill.waitFor(5, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -INT failed");
        }

        String awaitLine(String part) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                String l = out.poll(200, TimeUnit.MILLISECONDS);
                if (l != null && l.contains(part)) {
                    return l;
                }
            }
            return fail("no line with '" + part + "' on stdout");
        }
    }

    private static Process jar(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx128m",
                "-jar", JAR.toAbsolutePath().toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(dir.toFile()).start();
    }

    private static CompletableFuture<String> all(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }

    /** Starts the jar on a free port and waits for its start-up line, which must say it runs on epoll. */
    private static Server serve(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--root", dir.toString(), "--port", "0"));
        args.addAll(List.of(extra));
        Process p = jar(args);
        BlockingQueue<String> out = SamplesPackagedIT.lines(p);
        CompletableFuture<String> err = all(p.getErrorStream());
        Pattern serving = Pattern.compile("Serving .* at (http://[^ ]+/) +\\((\\w+);");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String l = out.poll(200, TimeUnit.MILLISECONDS);
            Matcher m = l == null ? null : serving.matcher(l);
            if (m != null && m.find()) {
                assertEquals("epoll", m.group(2), l);
                return new Server(p, out, err, URI.create(m.group(1)));
            }
            if (l == null && !p.isAlive()) {
                fail("the server exited with " + p.exitValue() + ": " + err.get(5, TimeUnit.SECONDS));
            }
        }
        p.destroyForcibly();
        return fail("no start-up line within 30 s");
    }

    @Test
    void theJarStartsOnEpollWithoutAWarningAndServesAFileByteForByte() throws Exception {
        Server s = serve();
        try (HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(s.url().resolve("data.bin")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertArrayEquals(bytes, r.body());
        }
        s.sigterm(); // nothing in flight: the drain ends at once
        assertTrue(s.process().waitFor(15, TimeUnit.SECONDS), "still running 15 s after SIGTERM");
        assertEquals(0, s.process().exitValue(), "exit status after a drain");
        String err = s.err().get(5, TimeUnit.SECONDS);
        assertFalse(err.contains("WARNING"), "a warning on stderr:\n" + err);
        assertFalse(err.contains("Exception"), "a stack trace on stderr:\n" + err);
    }

    @Test
    void versionAndHelpExitWith0() throws Exception {
        Process version = jar(List.of("--version"));
        String out = all(version.getInputStream()).get(30, TimeUnit.SECONDS);
        assertTrue(version.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, version.exitValue());
        assertTrue(out.matches("FileServerMain \\d+\\.\\d+\\.\\d+\\S* \\(reactive-mmap file server; Java [^)]+\\)\\R"), out);

        Process help = jar(List.of("--help"));
        String usage = all(help.getInputStream()).get(30, TimeUnit.SECONDS);
        assertTrue(help.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, help.exitValue());
        assertTrue(usage.startsWith("Usage: FileServerMain") && usage.contains("--drain-timeout=DURATION"), usage);
    }

    @Test
    void aBadOptionExitsWith2AndOneLine() throws Exception {
        Process p = jar(List.of("--no-such-option"));
        CompletableFuture<String> out = all(p.getInputStream());
        String err = all(p.getErrorStream()).get(30, TimeUnit.SECONDS);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue());
        assertEquals(List.of("FileServerMain: unknown option '--no-such-option' (FileServerMain --help lists the options)"),
                err.lines().toList());
        assertEquals("", out.get(5, TimeUnit.SECONDS));
    }

    /** A GET for big.bin on a raw socket; returns the stream positioned at the body, after checking the head. */
    private static InputStream get(Socket socket, String path) throws IOException {
        socket.setSoTimeout(20_000);
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed in the response head: " + head);
            }
            head.write(c);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        assertTrue(h.startsWith("HTTP/1.1 200") && h.toLowerCase().contains("content-length: " + BIG), h);
        return in;
    }

    /** Reads {@code in} to its end at about {@code bytesPerSecond}; returns the bytes read (all zeros, checked). */
    private static long readSlowly(InputStream in, long bytesPerSecond) throws IOException, InterruptedException {
        byte[] buf = new byte[1 << 20];
        long n = 0;
        long t0 = System.nanoTime();
        try {
            for (int r; n < BIG && (r = in.read(buf)) >= 0; ) {
                for (int i = 0; i < r; i++) {
                    if (buf[i] != 0) {
                        fail("byte " + (n + i) + " is " + buf[i] + ", not 0");
                    }
                }
                n += r;
                long due = t0 + n * 1_000_000_000L / bytesPerSecond;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
        } catch (java.net.SocketException reset) {
            // the server cut the connection: n says how far it got
        }
        return n;
    }

    /** {@link #readSlowly} on a virtual thread: the bytes read, once the body ends or the server cuts it. */
    private static CompletableFuture<Long> readSlowlyInBackground(InputStream in, long bytesPerSecond) {
        CompletableFuture<Long> read = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                read.complete(readSlowly(in, bytesPerSecond));
            } catch (Throwable e) {
                read.completeExceptionally(e);
            }
        });
        return read;
    }

    @Test
    void theFirstSigtermDrainsADownloadInProgressAndExits0() throws Exception {
        Server s = serve("--drain-timeout", "20s");
        try (Socket socket = new Socket(s.url().getHost(), s.url().getPort())) {
            InputStream in = get(socket, "/big.bin");
            CompletableFuture<Long> read = readSlowlyInBackground(in, 256L << 20); // about 4 s for 1 GiB
            Thread.sleep(1_000);
            s.sigterm();
            s.awaitLine("SIGTERM: draining");
            assertFalse(read.isDone(), "the download ended before the drain had anything to wait for");
            assertEquals(BIG, read.get(20, TimeUnit.SECONDS), "the download in progress must finish whole");
            assertTrue(s.process().waitFor(10, TimeUnit.SECONDS), "the drained server did not exit by itself");
            assertEquals(0, s.process().exitValue());
            s.awaitLine("drained");
        } finally {
            s.process().destroyForcibly();
        }
    }

    @Test
    void aSecondSigtermClosesAtOnce() throws Exception {
        Server s = serve("--drain-timeout", "60s");
        try (Socket socket = new Socket(s.url().getHost(), s.url().getPort())) {
            InputStream in = get(socket, "/big.bin");
            CompletableFuture<Long> read = readSlowlyInBackground(in, 64L << 20); // 16 s for 1 GiB: far from done when cut
            Thread.sleep(500);
            s.sigterm();
            s.awaitLine("SIGTERM: draining");
            long t0 = System.nanoTime();
            s.sigterm(); // again
            assertTrue(s.process().waitFor(5, TimeUnit.SECONDS), "a second SIGTERM must stop the server at once");
            assertEquals(143, s.process().exitValue());
            long got = read.get(10, TimeUnit.SECONDS);
            assertTrue(got < BIG, "the download was cut: " + got + " bytes");
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        } finally {
            s.process().destroyForcibly();
        }
    }

    @Test
    void ctrlCDrainsADownloadInProgressAndASecondCtrlCExits130() throws Exception {
        Server s = serve("--drain-timeout", "60s");
        try (Socket socket = new Socket(s.url().getHost(), s.url().getPort())) {
            InputStream in = get(socket, "/big.bin");
            CompletableFuture<Long> read = readSlowlyInBackground(in, 64L << 20); // 16 s for 1 GiB
            Thread.sleep(500);
            s.sigint();
            s.awaitLine("SIGINT: draining");
            Thread.sleep(1_000);
            assertTrue(s.process().isAlive(), "the first Ctrl-C must drain, not stop: the download is still running");
            assertFalse(read.isDone(), "the download in progress was cut by the first Ctrl-C");
            s.sigint(); // again
            assertTrue(s.process().waitFor(5, TimeUnit.SECONDS), "a second Ctrl-C must stop the server at once");
            assertEquals(130, s.process().exitValue());
            s.awaitLine("SIGINT again: stopped at once");
            assertTrue(read.get(10, TimeUnit.SECONDS) < BIG, "the download was cut by the second Ctrl-C");
        } finally {
            s.process().destroyForcibly();
        }
    }
}
