package io.reactivemmap.netty.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.reactivemmap.netty.CapturedLogs;
import io.reactivemmap.netty.CapturingAccessLog;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.LogRecord;

import static io.reactivemmap.netty.http.AccessLogRecord.Outcome.ABORTED;
import static io.reactivemmap.netty.http.AccessLogRecord.Outcome.COMPLETE;
import static io.reactivemmap.netty.http.AccessLogRecord.Outcome.FAILED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The access-log record, its sink and its completion, apart from any front end. */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class AccessLogTest {
    private static FileExchange.Request get(String target) {
        return new FileExchange.Request("GET", target, 1, 1, List.of("x"), new DefaultHttpHeaders(), false,
                new InetSocketAddress("127.0.0.1", 4242), "HTTP/1.1", System.nanoTime());
    }

    @Test
    void printableEscapesControlCharactersQuotesAndBackslashesCutsLongValuesAndIsIdempotent() {
        String forged = "/a\r\n127.0.0.1 GET /admin 200\u0085\u007f\tend";
        String p = AccessLogRecord.printable(forged);
        assertEquals("/a\\x0D\\x0A127.0.0.1 GET /admin 200\\x85\\x7F\\x09end", p);
        assertEquals(p, AccessLogRecord.printable(p));
        assertEquals("-", AccessLogRecord.printable(null));
        String cut = AccessLogRecord.printable("/" + "a".repeat(600));
        assertEquals(512 + 3, cut.length());
        assertEquals(cut, AccessLogRecord.printable(cut));
        assertEquals("/caf\u00e9", AccessLogRecord.printable("/caf\u00e9"), "printable non-ASCII is kept");
        assertEquals("say \"hi\" C:\\dir", AccessLogRecord.printable("say \"hi\" C:\\dir"), "quotes are kept in messages");
    }

    private static String userAgent(String ua) {
        return new AccessLogRecord(null, T, "GET", "/", "HTTP/1.1", 200, 0, 0, null, ua, D, COMPLETE).userAgent();
    }

    @Test
    void theQuotedFieldsEscapeQuotesAndBackslashesAsNginxAndStayTheSameWhenEscapedAgain() {
        // a quote cannot end the field, a backslash cannot fake an escape
        assertEquals("say \\x22hi\\x22 C:\\x5Cdir\\x5C", userAgent("say \"hi\" C:\\dir\\"));
        assertEquals("a\\x5C", userAgent("a\\"), "a backslash at the end");
        assertEquals("\\x22\\x5C\\x0D", userAgent("\"\\\r"));
        assertEquals(userAgent("\"\\\r"), userAgent(userAgent("\"\\\r")), "a record of a record's fields is equal");
        AccessLogRecord r = new AccessLogRecord(null, T, "G\"T", "/a\"b\\", "HTTP/1.1", 200, 0, 0, "r\"", "u", D, COMPLETE);
        assertEquals(r, new AccessLogRecord(r.remoteAddress(), r.time(), r.method(), r.target(), r.protocol(), r.status(),
                r.plannedBytes(), r.sentBytes(), r.referer(), r.userAgent(), r.duration(), r.outcome()));
        assertEquals("G\\x22T", r.method());
        assertEquals("/a\\x22b\\x5C", r.target());
        assertEquals("r\\x22", r.referer());
    }

    private static final Duration D = Duration.ofNanos(1_234_567_890);
    private static final java.time.Instant T = java.time.Instant.parse("2026-12-04T19:22:05.678Z");

    private static String timeLocal(java.time.Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", java.util.Locale.ENGLISH)
                .withZone(java.time.ZoneId.systemDefault()).format(t);
    }

    @Test
    void theLineIsNginxsCombinedFormatThenProtocolSecondsAndOutcome() {
        InetSocketAddress client = new InetSocketAddress("192.0.2.7", 50123);
        String time = timeLocal(T);
        assertEquals("192.0.2.7 - - [" + time + "] \"GET /a.txt?x=1 HTTP/1.1\" 200 6 \"https://example.com/\" \"curl/8.5.0\" "
                + "HTTP/1.1 1.234", new AccessLogRecord(client, T, "GET", "/a.txt?x=1", "HTTP/1.1", 200, 6, 6,
                "https://example.com/", "curl/8.5.0", D, COMPLETE).line());
        assertEquals("192.0.2.7 - - [" + time + "] \"HEAD /b HTTP/2\" 200 0 \"-\" \"-\" HTTP/2 0.005",
                new AccessLogRecord(client, T, "HEAD", "/b", "HTTP/2", 200, 0, 0, null, "", Duration.ofMillis(5),
                        COMPLETE).line());
        assertEquals("- - - [" + time + "] \"GET /big\" 200 - \"-\" \"-\" - 1.234 aborted",
                new AccessLogRecord(null, T, "GET", "/big", "-", 200, 9, -1, null, null, D, ABORTED).line(),
                "no address, no protocol, bytes not known");
        assertEquals("2001:db8:0:0:0:0:0:1 - - [" + time + "] \"GET /big HTTP/2\" 200 4096 \"-\" \"-\" HTTP/2 61.000 failed",
                new AccessLogRecord(new InetSocketAddress("2001:db8::1", 443), T, "GET", "/big", "HTTP/2", 200, 9999,
                        4096, null, null, Duration.ofSeconds(61), FAILED).line());
        assertTrue(java.util.regex.Pattern.matches("\\d\\d/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}", time),
                time);
    }

    @Test
    void aHostileUserAgentRefererOrTargetStaysOneLineWithItsThreeQuotedFieldsAndIsCut() {
        String ua = "evil\r\n127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] \"GET /admin HTTP/1.1\" 200 1 \"-\" \"x\\\"" + "A".repeat(10_000);
        AccessLogRecord r = new AccessLogRecord(new InetSocketAddress("127.0.0.1", 1), T, "GET\n", "/x\"y\r\nz",
                "HTTP/1.1", 404, 0, 0, "http://a/\"\n", ua, D, COMPLETE);
        String line = r.line();
        assertFalse(line.contains("\n") || line.contains("\r"), line);
        assertTrue(line.length() < 2_000, () -> "cut: " + line.length());
        assertTrue(r.userAgent().endsWith("..."), r.userAgent());
        assertEquals(512 + 3 + 9 * 3, r.userAgent().length(), "512 characters kept, CR LF, six quotes and a backslash escaped");
        // exactly six quote characters: the three quoted fields' own, none from the request
        assertEquals(6, line.chars().filter(c -> c == '"').count(), line);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                "(\\S+) - - \\[([^\\]]+)\\] \"([^\"]*)\" (\\d{3}) (\\d+|-) \"([^\"]*)\" \"([^\"]*)\" (\\S+) (\\d+\\.\\d{3})( aborted| failed)?")
                .matcher(line);
        assertTrue(m.matches(), line);
        assertEquals("GET\\x0A /x\\x22y\\x0D\\x0Az HTTP/1.1", m.group(3));
        assertEquals("http://a/\\x22\\x0A", m.group(6));
        assertTrue(m.group(7).startsWith("evil\\x0D\\x0A127.0.0.1 - - [01/Jan/2026:00:00:00 +0000] \\x22GET /admin"), m.group(7));
    }

    @Test
    void completingTwiceOrFromTwoThreadsLogsOneRecord(@TempDir Path dir) throws Exception {
        TestFiles.pattern(dir, "data.bin", 1000);
        CapturingAccessLog log = new CapturingAccessLog();
        FileExchange exchange = FileExchange.of(RootDirectory.of(dir, false, false), RangeLimits.DEFAULT, List.of(), log);
        try (FileExchange.FileResponse r = exchange.answer(get("/data.bin"))) {
            assertTrue(r.complete(COMPLETE, r.bodyLength()));
            assertFalse(r.complete(ABORTED, -1), "a second completion is ignored");
            assertTrue(r.isCompleted());
        }
        assertEquals(1, log.records().size());
        AccessLogRecord first = log.records().getFirst();
        CapturingAccessLog.assertRecord(first, "GET", "/data.bin", 200, 1000, 1000, COMPLETE);
        assertEquals(new InetSocketAddress("127.0.0.1", 4242), first.remoteAddress());
        assertEquals("HTTP/1.1", first.protocol());

        for (int round = 0; round < 200; round++) {
            FileExchange.FileResponse r = exchange.answer(get("/race" + round));
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger logged = new AtomicInteger();
            Thread[] threads = new Thread[2];
            for (int t = 0; t < threads.length; t++) {
                threads[t] = Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (r.complete(ABORTED, -1)) {
                        logged.incrementAndGet();
                    }
                });
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            r.close();
            assertEquals(1, logged.get(), "one of two racing completions logs");
        }
        assertEquals(201, log.records().size());
    }

    @Test
    void aTargetWithCrLfIsLoggedOnOneLineAndTheDefaultSinkWritesTheAccessLogger(@TempDir Path dir) throws Exception {
        FileExchange exchange = FileExchange.of(RootDirectory.of(dir, false, false), RangeLimits.DEFAULT);
        assertEquals(AccessLog.SYSTEM_LOGGER, exchange.accessLog());
        try (CapturedLogs logs = new CapturedLogs(AccessLog.LOGGER_NAME);
             FileExchange.FileResponse r = exchange.answer(get("/nope\r\nGET /forged HTTP/1.1"))) {
            r.complete(COMPLETE, r.bodyLength());
            LogRecord line = logs.await(x -> x.getMessage().contains("\"GET /nope"), Duration.ofSeconds(5), "the line");
            assertEquals(java.util.logging.Level.INFO, line.getLevel());
            assertTrue(line.getMessage().matches("127\\.0\\.0\\.1 - - \\[[^\\]]+\\] \"GET /nope\\\\x0D\\\\x0AGET /forged HTTP/1.1 HTTP/1.1\" "
                    + "(400|404) \\d+ \"-\" \"-\" HTTP/1\\.1 \\d+\\.\\d{3}"), line.getMessage());
            assertEquals(1, logs.records().size(), () -> "one line: " + logs.records());
        }
    }

    @Test
    void aFailingSinkDoesNotBreakTheResponseAndNoneLogsNothing(@TempDir Path dir) throws Exception {
        FileExchange failing = FileExchange.of(RootDirectory.of(dir, false, false), RangeLimits.DEFAULT, List.of(),
                r -> {
                    throw new IllegalStateException("sink down");
                });
        try (FileExchange.FileResponse r = failing.answer(get("/missing"))) {
            assertTrue(r.complete(COMPLETE, r.bodyLength()), "completed despite the sink");
        }
        FileExchange none = FileExchange.of(RootDirectory.of(dir, false, false), RangeLimits.DEFAULT, List.of(),
                AccessLog.NONE);
        try (FileExchange.FileResponse r = none.answer(get("/missing"))) {
            assertFalse(r.complete(COMPLETE, 0), "a log that is off builds no record");
            assertTrue(r.isCompleted(), "and the response still counts as completed, once");
        }
        // a response no exchange tied to a request has no record
        assertFalse(FileExchange.FileResponse.error(io.netty.handler.codec.http.HttpResponseStatus.NOT_FOUND, "x", false,
                false).complete(COMPLETE, 0));
    }

    @Test
    void ofFailureTellsATruncationFromAClosedConnection() {
        assertEquals(FAILED, AccessLogRecord.Outcome.ofFailure(new java.io.IOException("x",
                new io.reactivemmap.FileTruncatedException(Path.of("f"), 0, 10, 5)), false));
        assertEquals(FAILED, AccessLogRecord.Outcome.ofFailure(new java.io.IOException("read failed"), true));
        assertEquals(ABORTED, AccessLogRecord.Outcome.ofFailure(new java.nio.channels.ClosedChannelException(), false));
    }
}
