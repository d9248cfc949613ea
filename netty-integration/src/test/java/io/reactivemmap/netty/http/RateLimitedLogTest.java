package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Test;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@link RateLimitedLog}: one line per interval whatever the number of callers and threads. */
class RateLimitedLogTest {
    /** Held strongly: java.util.logging forgets a logger (and its handlers) that is garbage-collected. */
    private static final Logger JUL = Logger.getLogger("io.reactivemmap.test.rate-limited");

    private static List<LogRecord> capture() {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        for (Handler h : JUL.getHandlers()) {
            JUL.removeHandler(h);
        }
        JUL.setUseParentHandlers(false);
        JUL.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        return records;
    }

    @Test
    void manyThreadsLoggingAtOnceWriteOneLineWithoutAStackTraceAndBuildNoMessageForTheOthers() throws Exception {
        List<LogRecord> records = capture();
        RateLimitedLog log = new RateLimitedLog(System.getLogger(JUL.getName()), Level.INFO, Duration.ofHours(1));
        AtomicInteger built = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(threads.submit(() -> {
                    go.await();
                    for (int i = 0; i < 10_000; i++) {
                        log.log(() -> "flood " + built.incrementAndGet());
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1, records.size(), "40,000 calls within the interval: one line");
        assertEquals("flood 1", records.getFirst().getMessage());
        assertNull(records.getFirst().getThrown());
        assertEquals(1, built.get(), "the suppressed lines' messages are never built");
    }

    @Test
    void theNextLineAfterTheIntervalCountsTheLinesLeftOut() {
        List<LogRecord> records = capture();
        long[] now = {1_000};
        RateLimitedLog log = new RateLimitedLog(System.getLogger(JUL.getName()), Level.INFO, Duration.ofNanos(100),
                () -> now[0]);
        log.log(() -> "a");
        now[0] += 99;
        log.log(() -> "b");
        log.log(() -> "c");
        now[0] += 1; // 100 ns after "a"
        log.log(() -> "d");
        log.log(() -> "e");
        now[0] += 500;
        log.log(() -> "f");
        assertEquals(List.of("a", "d (2 more like it since the previous such line, not logged)",
                "f (1 more like it since the previous such line, not logged)"),
                records.stream().map(LogRecord::getMessage).toList());
    }
}
