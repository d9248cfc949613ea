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
    void printableEscapesControlCharactersCutsLongTargetsAndIsIdempotent() {
        String forged = "/a\r\n127.0.0.1 GET /admin 200\u0085\u007f\tend";
        String p = AccessLogRecord.printable(forged);
        assertEquals("/a\\x0d\\x0a127.0.0.1 GET /admin 200\\x85\\x7f\\x09end", p);
        assertEquals(p, AccessLogRecord.printable(p));
        assertEquals("-", AccessLogRecord.printable(null));
        String cut = AccessLogRecord.printable("/" + "a".repeat(600));
        assertEquals(512 + 3, cut.length());
        assertEquals(cut, AccessLogRecord.printable(cut));
        assertEquals("/caf\u00e9", AccessLogRecord.printable("/caf\u00e9"), "printable non-ASCII is kept");
    }

    @Test
    void theLineKeepsTheFormatOfTheServersFormerLines() {
        Duration d = Duration.ofNanos(1_234_567);
        assertEquals("GET /a.txt 200 6 1.234ms", new AccessLogRecord(null, "GET", "/a.txt", "HTTP/1.1", 200, 6, 6, d,
                COMPLETE).line());
        assertEquals("GET /a.txt 200 6 1.234ms h2", new AccessLogRecord(null, "GET", "/a.txt", "HTTP/2", 200, 6, 6, d,
                COMPLETE).line());
        assertEquals("GET /big 200 - 1.234ms aborted", new AccessLogRecord(null, "GET", "/big", "HTTP/1.1", 200, 9, -1,
                d, ABORTED).line());
        assertEquals("GET /big 200 - 1.234ms h2 failed", new AccessLogRecord(null, "GET", "/big", "HTTP/2", 200, 9, -1,
                d, FAILED).line());
        AccessLogRecord forged = new AccessLogRecord(null, "GET\n", "/x\r\nGET /forged 200 1 0.001ms", "HTTP/1.1", 404,
                0, 0, d, COMPLETE);
        assertFalse(forged.line().contains("\n") || forged.line().contains("\r"), forged.line());
        assertEquals("/x\\x0d\\x0aGET /forged 200 1 0.001ms", forged.target());
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
            LogRecord line = logs.await(x -> x.getMessage().startsWith("GET /nope"), Duration.ofSeconds(5), "the line");
            assertEquals(java.util.logging.Level.INFO, line.getLevel());
            assertTrue(line.getMessage().matches("GET /nope\\\\x0d\\\\x0aGET /forged HTTP/1.1 (400|404) \\d+ \\d+\\.\\d{3}ms"),
                    line.getMessage());
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
