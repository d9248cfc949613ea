package io.reactivemmap.netty.http;

import io.reactivemmap.netty.CapturedLogs;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What belongs to the file server as a server, over real sockets, once per body mode: keep-alive and pipelining,
 * HTTP/1.0, malformed requests, the connection cap, the idle, request-head and slow-reader timeouts, a file named
 * {@code _stats}, and close. What every front end answers alike (ranges, preconditions, methods, versions, paths, aborts, truncation)
 * is the shared {@code io.reactivemmap.netty.contract.FileExchangeContract}. Every test must leave zero windows mapped
 * and zero connections open.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(BodyMode.class)
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
class FileServerConnectionsTest {
    static final int SIZE = 200_000;
    static final int BIG = 32 << 20;

    @TempDir
    Path dir;
    Path root;
    Path file;
    FileServer server;

    @Parameter
    BodyMode mode;

    /** Starts a server with the body mode under test. */
    FileServer start(FileServerOptions options) throws IOException {
        return FileServer.start(options.withBodyMode(mode));
    }

    FileServerOptions options() {
        return FileServerOptions.defaults(root).withPort(0).withIoThreads(2).withWindowSize(64 << 10)
                .withMaxBytesInFlight(256 << 10);
    }

    @BeforeEach
    void setUp() throws Exception {
        root = RootDirectoryTest.build(dir);
        file = TestFiles.pattern(root, "data.bin", SIZE);
        server = start(options());
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
        awaitNoConnections(); // closing listeners run on the event loops as they shut down
    }

    static byte[] expected(long from, long length) {
        return TestFiles.expected(from, Math.toIntExact(length));
    }

    RawHttp.Response get(String path) throws IOException {
        try (RawHttp raw = new RawHttp(server.port())) {
            return raw.request("GET", path);
        }
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnectionAndHonoursClose() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            for (int i = 0; i < 5; i++) {
                RawHttp.Response r = raw.request("GET", "/data.bin", "Range: bytes=" + i + "-" + (i + 9));
                assertEquals(206, r.status());
                assertArrayEquals(expected(i, 10), r.body());
            }
            RawHttp.Response last = raw.request("GET", "/a.txt", "Connection: close");
            assertEquals("close", last.header("connection"));
            assertEquals(0, raw.drain(), "server closes after Connection: close");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=5-9\r\n\r\n"
                    + "HEAD /docs/ HTTP/1.1\r\nHost: x\r\n\r\n");
            assertArrayEquals("a".getBytes(StandardCharsets.US_ASCII), raw.read(false).body());
            assertArrayEquals(expected(5, 5), raw.read(false).body());
            RawHttp.Response head = raw.read(true);
            assertEquals("11", head.header("content-length"));
        }
    }

    /**
     * A pipelining client that sends 500 requests in one go and reads nothing for a while fills the socket: the
     * responses that meet a full send buffer must wait, and every one must then arrive whole and in order. (Until the
     * cap on queued requests went from 16 to 1024, the server closed such a connection after ~60 responses.)
     */
    @Test
    @Timeout(60)
    void smallBodiesMeetingAFullSocketArriveWholeAndInOrder() throws Exception {
        Path small = TestFiles.pattern(root, "small.bin", 60_000);
        StringBuilder requests = new StringBuilder();
        List<long[]> ranges = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            long from = (i * 7919L) % 50_000;
            long length = i % 3 == 0 ? 60_000 : 1 + (i * 104_729L) % (60_000 - from);
            if (i % 3 == 0) {
                from = 0;
                requests.append("GET /small.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            } else {
                requests.append("GET /small.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=").append(from).append('-')
                        .append(from + length - 1).append("\r\n\r\n");
            }
            ranges.add(new long[] {from, length});
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send(requests.toString());
            Thread.sleep(500); // 30 MB of responses: the server writes until the socket is full, then waits for us
            for (int i = 0; i < ranges.size(); i++) {
                RawHttp.Response r = raw.read(false);
                long[] range = ranges.get(i);
                assertEquals(i % 3 == 0 ? 200 : 206, r.status(), "response " + i);
                assertArrayEquals(TestFiles.expected(range[0], (int) range[1]), r.body(), "response " + i);
            }
        }
        TestFiles.awaitNoDescriptors(small); // closed as each write completes, which may trail the client's last read
    }

    @Test
    void http10ClosesByDefaultAndKeepsAliveWhenAsked() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.0\r\n\r\n");
            RawHttp.Response r = raw.read(false);
            assertEquals(200, r.status());
            assertEquals(0, raw.drain());
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            assertEquals("keep-alive", raw.read(false).header("connection"));
            raw.send("GET /a.txt HTTP/1.0\r\n\r\n");
            assertEquals(200, raw.read(false).status());
        }
    }

    @Test
    void malformedRequestsAndBodiesOnGetAre400AndClose() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            RawHttp.Response r = raw.read(false);
            assertEquals(400, r.status());
            assertEquals(0, raw.drain());
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GARBAGE\r\n\r\n");
            assertEquals(400, raw.read(false).status());
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(414, raw.read(false).status());
        }
    }

    @Test
    void aSlowReaderIsDisconnected() throws Exception {
        server.close();
        server = start(options().withMinRate(4 << 20, Duration.ofMillis(300)));
        TestFiles.pattern(root, "big.bin", BIG);
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.socket.setReceiveBufferSize(16 << 10);
            raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.readHead().status());
            // read nothing more: the server must give up on us
            awaitNoConnections();
        }
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        server.close();
        server = start(options().withIdleTimeout(Duration.ofMillis(300)));
        try (RawHttp raw = new RawHttp(server.port())) {
            assertEquals(200, raw.request("GET", "/a.txt").status());
            long t0 = System.nanoTime();
            assertEquals(0, raw.drain());
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
        }
    }

    @Test
    void aClientTricklingItsRequestHeadIsDisconnected() throws Exception {
        server.close();
        server = start(options().withRequestHeadTimeout(Duration.ofMillis(400)));
        try (RawHttp quick = new RawHttp(server.port())) {
            assertEquals(200, quick.request("GET", "/a.txt").status(), "a normal request is not affected");
        }
        try (RawHttp raw = new RawHttp(server.port())) {
            raw.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n");
            long t0 = System.nanoTime();
            // One header line every 50 ms: never idle (the idle timeout is 60 s), never complete.
            Thread trickler = Thread.ofVirtual().start(() -> {
                try {
                    while (System.nanoTime() - t0 < 5_000_000_000L) {
                        Thread.sleep(50);
                        raw.send("X-Slow: 1\r\n");
                    }
                } catch (IOException | InterruptedException closed) {
                    // the server closed the connection: what the test waits for
                }
            });
            RawHttp.Response timeout = raw.read(false);
            assertEquals(408, timeout.status(), "told why before the close");
            assertEquals("close", timeout.header("connection"));
            assertEquals(0, raw.drain(), "then closed");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            trickler.interrupt();
            trickler.join();
            assertTrue(millis >= 350 && millis < 3_000, "closed after " + millis + " ms, expected about 400");
        }
        awaitNoConnections();
    }

    @Test
    void connectionsOverTheCapGet503() throws Exception {
        server.close();
        server = start(options().withMaxConnections(1));
        try (CapturedLogs logs = new CapturedLogs(AccessLog.LOGGER_NAME);
             RawHttp first = new RawHttp(server.port())) {
            assertEquals(200, first.request("GET", "/a.txt").status());
            try (RawHttp second = new RawHttp(server.port())) {
                RawHttp.Response r = second.request("GET", "/a.txt?log=503");
                assertEquals(503, r.status());
                assertEquals("close", r.header("connection"));
                assertEquals(0, second.drain());
                String line = oneLine(logs, "GET /a.txt?log=503 ");
                assertTrue(line.matches("127\\.0\\.0\\.1 - - \\[[^]]+\\] \"GET /a.txt\\?log=503 HTTP/1.1\" 503 " + r.body().length
                        + " \"-\" \"-\" HTTP/1\\.1 \\d+\\.\\d{3}"), line);
            }
            assertEquals(200, first.request("GET", "/a.txt").status(), "the first connection is unaffected");
        }
    }

    /** The stats moved to the admin port ({@code AdminServerTest}): on the file port {@code _stats} is a name. */
    @Test
    void aFileNamedStatsIsServedLikeAnyOtherFile() throws Exception {
        assertEquals(404, get("/_stats").status(), "no such file");
        java.nio.file.Files.writeString(root.resolve("_stats"), "just a file");
        RawHttp.Response r = get("/_stats");
        assertEquals(200, r.status());
        assertEquals("just a file", new String(r.body(), StandardCharsets.UTF_8));
    }

    @Test
    void closeEndsOpenConnectionsEvenWhileTheEventLoopsAreBusy() throws Exception {
        try (RawHttp raw = new RawHttp(server.port())) {
            assertEquals(200, raw.request("GET", "/a.txt").status(), "a kept-alive connection");
            // Keep every event loop running tasks (100 ms slices, each queueing the next) for the whole of close(), so
            // the shutdown request lands while a loop runs tasks, never right after an I/O pass: Netty 4.2 then ends
            // the loop without closing its channels, and only close() itself can close them.
            List<io.netty.util.concurrent.EventExecutor> loops = new java.util.ArrayList<>();
            server.eventLoops().forEach(loops::add);
            java.util.concurrent.CountDownLatch busy = new java.util.concurrent.CountDownLatch(loops.size());
            for (io.netty.util.concurrent.EventExecutor loop : loops) {
                loop.execute(new Runnable() {
                    int slices = 8;

                    @Override
                    public void run() {
                        busy.countDown();
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        if (--slices > 0) {
                            loop.execute(this);
                        }
                    }
                });
            }
            busy.await();
            server.close();
            assertEquals(0, server.openConnections(), "close() returned with a connection still open");
            assertEquals(0, raw.drain(), "the client sees the connection end");
        }
    }

    /**
     * The one access-log line whose request field starts with {@code prefix} ({@code "GET /a.txt "}): waits for it,
     * then fails if a second one comes.
     */
    static String oneLine(CapturedLogs logs, String prefix) throws InterruptedException {
        String request = "\"" + prefix; // the request field opens with a quote
        logs.await(r -> r.getLoggerName().equals(AccessLog.LOGGER_NAME) && r.getMessage().contains(request),
                Duration.ofSeconds(20), "for " + prefix);
        Thread.sleep(200);
        List<String> lines = logs.records().stream().filter(r -> r.getLoggerName().equals(AccessLog.LOGGER_NAME))
                .map(java.util.logging.LogRecord::getMessage).filter(m -> m.contains(request)).toList();
        assertEquals(1, lines.size(), () -> "exactly one line for " + prefix + ": " + lines);
        return lines.getFirst();
    }

    void awaitNoConnections() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.openConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, server.openConnections(), "connections still open");
    }

}
