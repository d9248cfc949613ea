package io.reactivemmap.netty.http;

import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import io.reactivemmap.netty.CapturedLogs;
import io.reactivemmap.netty.CapturingAccessLog;
import io.reactivemmap.netty.EmbeddedHttp2;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How HTTP/2 bodies end, through the real {@link FileServer} on a socket and Netty's frame-level client
 * ({@link Http2SocketClient}), over h2c and TLS: every kind of body (multipart, single range, whole file, empty file,
 * {@code HEAD}; copied or mapped) ends its stream with END_STREAM on its last DATA frame, is logged as completed,
 * and releases every buffer exactly once.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class Http2StreamBodiesTest {
    /** Over SmallBodySender's copy threshold, so that ranges can be chosen on either side of it. */
    static final int SIZE = 600_000;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path root;
    private CapturedLogs logs;
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @BeforeEach
    void files() throws IOException {
        TestFiles.pattern(root, "data.bin", SIZE);
        TestFiles.pattern(root, "empty.bin", 0);
        logs = new CapturedLogs("io.netty", "io.reactivemmap");
    }

    @AfterEach
    void closeAll() throws Exception {
        try {
            for (AutoCloseable c : closeLast.reversed()) {
                c.close();
            }
            List<LogRecord> refCnt = logs.mentioning("IllegalReferenceCountException");
            assertTrue(refCnt.isEmpty(), () -> "a buffer was released twice: " + refCnt.stream().map(CapturedLogs::describe).toList());
        } finally {
            logs.close();
        }
    }

    private FileServer start(boolean tls) throws IOException {
        return start(tls, AccessLog.SYSTEM_LOGGER);
    }

    private FileServer start(boolean tls, AccessLog accessLog) throws IOException {
        FileServerOptions options = FileServerOptions.defaults(root).withPort(0).withIoThreads(2).withWindowSize(64 << 10)
                .withMaxBytesInFlight(256 << 10);
        FileServer server = FileServer.start(tls ? options.withTls(TlsOptions.selfSigned()) : options, accessLog);
        closeLast.add(server);
        return server;
    }

    private Http2SocketClient client(FileServer server, boolean tls) throws Exception {
        Http2SocketClient client = new Http2SocketClient(server.port(), tls, Http2Settings.defaultSettings(), 65_535);
        closeLast.add(client);
        return client;
    }

    /** The access log line of the request for {@code target} (made unique by a query), waiting for it. */
    private String accessLine(String method, String target) throws InterruptedException {
        String prefix = "\"" + method + " " + target + " "; // the request field opens with a quote
        return logs.await(r -> r.getLoggerName().equals("io.reactivemmap.netty.http.access") && r.getMessage().contains(prefix),
                WAIT, "for " + prefix).getMessage();
    }

    private static void assertCompleted(String line, int status, long bytes) {
        assertTrue(line.matches(".* \"\\S+ \\S+ HTTP/2\" " + status + " " + bytes + " \"-\" \"-\" HTTP/2 \\d+\\.\\d{3}"),
                "logged as completed: " + line);
    }

    @ParameterizedTest(name = "tls={0}: {1}")
    @CsvSource({
            // file bytes at most 256 KiB: copied with one pread per part
            "false, '0-9,100-199,-5'", "true, '0-9,100-199,-5'",
            "false, '0-9,1000-1009,2000-2009,3000-3009,4000-4009,5000-5009,6000-6009,7000-7009,8000-8009,9000-9009,10000-10009,11000-11009'",
            "true, '0-9,1000-1009,2000-2009,3000-3009,4000-4009,5000-5009,6000-6009,7000-7009,8000-8009,9000-9009,10000-10009,11000-11009'",
            // above it: mapped windows between the framing, parts ending mid-window and on the file's last byte
            "false, '0-9,100000-389999,-5'", "true, '0-9,100000-389999,-5'",
            "false, '0-299999,300100-599999'", "true, '0-299999,300100-599999'",
            "false, '1-65536,131072-393215,500000-'", "true, '1-65536,131072-393215,500000-'",
            "false, '0-29999,45000-74999,90000-119999,135000-164999,180000-209999,225000-254999,270000-299999,315000-344999,360000-389999,405000-434999,450000-479999,495000-524999'",
            "true, '0-29999,45000-74999,90000-119999,135000-164999,180000-209999,225000-254999,270000-299999,315000-344999,360000-389999,405000-434999,450000-479999,495000-524999'",
    })
    void aMultipartBodyEndsItsStreamOnItsLastByteAndIsLoggedCompleted(boolean tls, String spec) throws Exception {
        FileServer server = start(tls);
        Http2SocketClient client = client(server, tls);
        for (int round = 0; round < 3; round++) { // one connection, several streams: nothing left behind by the last
            String target = "/data.bin?round=" + round;
            EmbeddedHttp2.Response r = client.get(target, "range", "bytes=" + spec);
            r.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals("206", r.status());
            String type = String.valueOf(r.header("content-type"));
            assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
            String boundary = type.substring(type.indexOf("boundary=") + 9);
            byte[] expected = Http2ServerTest.multipartBody(ranges(spec), SIZE, boundary);
            assertArrayEquals(expected, r.body.toByteArray(), "the exact multipart/byteranges body");
            assertEquals(String.valueOf(expected.length), String.valueOf(r.header("content-length")));
            assertTrue(r.endStream, "END_STREAM on the last DATA frame");
            assertEquals(-1, r.resetCode, "no RST_STREAM");
            assertEquals(0, r.framesAfterEnd);
            assertCompleted(accessLine("GET", target), 206, expected.length);
        }
    }

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void singleRangesWholeFilesEmptyFilesAndHeadEndTheirStreamsAndAreLoggedCompleted(boolean tls) throws Exception {
        FileServer server = start(tls);
        Http2SocketClient client = client(server, tls);
        record Case(String method, String path, String range, int status, long first, long length) {
        }
        List<Case> cases = List.of(
                new Case("GET", "/data.bin", null, 200, 0, SIZE), // mapped
                new Case("GET", "/data.bin", "bytes=1000-1999", 206, 1000, 1000), // copied
                new Case("GET", "/data.bin", "bytes=10-399999", 206, 10, 399_990), // mapped
                new Case("GET", "/data.bin", "bytes=-100", 206, SIZE - 100, 100),
                new Case("GET", "/empty.bin", null, 200, 0, 0),
                new Case("HEAD", "/data.bin", null, 200, 0, 0),
                new Case("HEAD", "/data.bin", "bytes=10-399999", 200, 0, 0), // Range applies to GET only
                new Case("HEAD", "/empty.bin", null, 200, 0, 0));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            String target = c.path() + "?case=" + i;
            EmbeddedHttp2.Response r = c.range() == null ? client.request(c.method(), target, false)
                    : client.request(c.method(), target, false, "range", c.range());
            r.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(String.valueOf(c.status()), r.status(), c.toString());
            assertArrayEquals(TestFiles.expected(c.first(), (int) c.length()), r.body.toByteArray(), c.toString());
            assertTrue(r.endStream, "END_STREAM: " + c);
            assertEquals(-1, r.resetCode, "no RST_STREAM: " + c);
            assertEquals(0, r.framesAfterEnd, c.toString());
            assertCompleted(accessLine(c.method(), target), c.status(), c.length());
        }
    }

    /** Each of the two large files of the truncation tests. */
    static final int LARGE = 8 << 20;
    /** The client's initial stream window: what the server can send on a stream before it must wait for the client. */
    static final int STREAM_WINDOW = 64 << 10;

    @ParameterizedTest(name = "tls={0}")
    @ValueSource(booleans = {false, true})
    void eachStreamGivesExactlyOneAccessLogRecord(boolean tls) throws Exception {
        CapturingAccessLog log = new CapturingAccessLog();
        FileServer server = start(tls, log);
        Http2SocketClient client = new Http2SocketClient(server.port(), tls,
                Http2Settings.defaultSettings().initialWindowSize(STREAM_WINDOW), 4 * SIZE);
        closeLast.add(client);

        EmbeddedHttp2.Response whole = client.get("/data.bin?log=200");
        whole.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("200", whole.status());
        AccessLogRecord ok = log.awaitOne("/data.bin?log=200", WAIT);
        CapturingAccessLog.assertRecord(ok, "GET", "/data.bin?log=200", 200, SIZE, SIZE, AccessLogRecord.Outcome.COMPLETE);
        assertEquals("HTTP/2", ok.protocol());
        assertNotNull(ok.remoteAddress(), "the connection's address");
        assertTrue(ok.line().matches(".*\" HTTP/2 \\d+\\.\\d{3}"), ok.line());

        EmbeddedHttp2.Response range = client.get("/data.bin?log=206", "range", "bytes=10-19");
        range.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("206", range.status());
        CapturingAccessLog.assertRecord(log.awaitOne("/data.bin?log=206", WAIT), "GET", "/data.bin?log=206", 206, 10, 10,
                AccessLogRecord.Outcome.COMPLETE);

        EmbeddedHttp2.Response missing = client.get("/missing.bin?log=404");
        missing.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("404", missing.status());
        AccessLogRecord notFound = log.awaitOne("/missing.bin?log=404", WAIT);
        CapturingAccessLog.assertRecord(notFound, "GET", "/missing.bin?log=404", 404, notFound.plannedBytes(),
                notFound.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);
        assertTrue(notFound.plannedBytes() > 0, "the error text");

        // a CR LF in the target (encoded: refused with 400; raw: HPACK carries it) cannot start a log line of its own
        EmbeddedHttp2.Response forged = client.get("/nope%0d%0aGET%20/forged%20200?log=400");
        forged.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("400", forged.status());
        AccessLogRecord refused = log.awaitOne("/nope", WAIT);
        CapturingAccessLog.assertRecord(refused, "GET", "/nope%0d%0aGET%20/forged%20200?log=400", 400,
                refused.plannedBytes(), refused.plannedBytes(), AccessLogRecord.Outcome.COMPLETE);

        // the client resets a stream whose body waits for its window: aborted, with the DATA bytes the socket took
        EmbeddedHttp2.Response abandoned = client.request("GET", "/data.bin?log=abort", true);
        client.arrived(abandoned, STREAM_WINDOW).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        abandoned.channel.close().sync();
        AccessLogRecord aborted = log.awaitOne("/data.bin?log=abort", WAIT);
        CapturingAccessLog.assertRecord(aborted, "GET", "/data.bin?log=abort", 200, SIZE, aborted.sentBytes(),
                AccessLogRecord.Outcome.ABORTED);
        assertTrue(aborted.sentBytes() >= STREAM_WINDOW && aborted.sentBytes() < SIZE,
                () -> "at least what the client received, less than the body: " + aborted);
        assertEquals(5, log.records().size(), () -> "one record per stream: " + log.records());
        assertTrue(logs.records().stream().noneMatch(r -> r.getLoggerName().equals(AccessLog.LOGGER_NAME)),
                "nothing on the default logger when another AccessLog is given");
    }

    @ParameterizedTest(name = "tls={0}: truncated to {1} bytes")
    @CsvSource({
            // below what the client already has, at the end of it (the next window lies wholly past the end), inside
            // the next window mid-page (the page's tail would read as zeros), inside a later window the server holds
            // mapped, and beyond every window mapped so far (the source fails when it maps the window past the end)
            "false, 0", "false, 65536", "false, 66770", "false, 200000", "false, 4194381",
            "true, 0", "true, 65536", "true, 66770", "true, 200000", "true, 4194381",
    })
    void aFileTruncatedUnderOneStreamResetsThatStreamOnlyAndTheConnectionServesOn(boolean tls, long truncateTo) throws Exception {
        Path a = TestFiles.pattern(root, "a.bin", LARGE);
        TestFiles.pattern(root, "b.bin", LARGE);
        FileServer server = start(tls);
        Http2SocketClient client = new Http2SocketClient(server.port(), tls,
                Http2Settings.defaultSettings().initialWindowSize(STREAM_WINDOW), 4 * LARGE);
        closeLast.add(client);
        // Both streams paused: the server fills their windows and then holds the rest of each body mapped, waiting.
        EmbeddedHttp2.Response first = client.request("GET", "/a.bin", true);
        EmbeddedHttp2.Response second = client.request("GET", "/b.bin", true);
        client.arrived(first, STREAM_WINDOW).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        client.arrived(second, STREAM_WINDOW).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try (FileChannel ch = FileChannel.open(a, StandardOpenOption.WRITE)) {
            ch.truncate(truncateTo);
        }
        client.resume(first);
        client.resume(second);

        first.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertFalse(first.endStream, "a short body must never end its stream normally");
        assertEquals(Http2Error.INTERNAL_ERROR.code(), first.resetCode, "the truncated stream is reset");
        byte[] got = first.body.toByteArray();
        assertTrue(got.length <= Math.max(truncateTo, STREAM_WINDOW), "no byte past the new end: " + got.length);
        assertArrayEquals(TestFiles.expected(0, got.length), got, "only the file's bytes");

        second.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(second.endStream, "the other stream completes");
        assertEquals(-1, second.resetCode);
        assertArrayEquals(TestFiles.expected(0, LARGE), second.body.toByteArray(), "the other stream's bytes, exactly");

        EmbeddedHttp2.Response third = client.get("/data.bin");
        third.ended.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals("200", third.status(), "the connection serves on");
        assertArrayEquals(TestFiles.expected(0, SIZE), third.body.toByteArray());
        assertTrue(client.connection.isActive());
        assertFalse(client.goAway.isDone(), "no GOAWAY");
        assertEquals(1, server.openConnections());
        assertCompleted(accessLine("GET", "/b.bin"), 200, LARGE);
        // the server gave up on it (the client did not go away): "failed", not "aborted"
        String truncated = accessLine("GET", "/a.bin");
        java.util.regex.Matcher failed = java.util.regex.Pattern.compile(
                ".* \"GET /a.bin HTTP/2\" 200 (\\d+) \"-\" \"-\" HTTP/2 \\d+\\.\\d{3} failed").matcher(truncated);
        assertTrue(failed.matches(), "the truncated response is logged as failed: " + truncated);
        assertTrue(Long.parseLong(failed.group(1)) < LARGE, () -> "with the DATA bytes sent before it stopped: " + truncated);
    }

    /** The ranges of a {@code bytes=} spec over data.bin. */
    private static List<ByteRange> ranges(String spec) {
        List<ByteRange> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            int dash = part.indexOf('-');
            if (dash == 0) {
                out.add(new ByteRange(SIZE - Long.parseLong(part.substring(1)), SIZE - 1));
            } else if (dash == part.length() - 1) {
                out.add(new ByteRange(Long.parseLong(part.substring(0, dash)), SIZE - 1));
            } else {
                out.add(new ByteRange(Long.parseLong(part.substring(0, dash)), Long.parseLong(part.substring(dash + 1))));
            }
        }
        return out;
    }
}
