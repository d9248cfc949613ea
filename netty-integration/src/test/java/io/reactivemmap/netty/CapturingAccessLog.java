package io.reactivemmap.netty;

import io.reactivemmap.netty.http.AccessLog;
import io.reactivemmap.netty.http.AccessLogRecord;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An {@link AccessLog} that keeps every record, for tests of the front ends' access logging. */
public final class CapturingAccessLog implements AccessLog {
    private final List<AccessLogRecord> records = new ArrayList<>();

    @Override
    public void log(AccessLogRecord record) {
        synchronized (records) {
            records.add(record);
            records.notifyAll();
        }
    }

    /** Every record so far. */
    public List<AccessLogRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /**
     * The one record whose target starts with {@code targetPrefix}, waiting up to {@code timeout} for it, then a
     * moment longer to catch a second one: fails unless exactly one arrives.
     */
    public AccessLogRecord awaitOne(String targetPrefix, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (records) {
            while (matching(targetPrefix).isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no access-log record for " + targetPrefix + " within " + timeout
                            + "; recorded: " + records);
                }
                records.wait(Math.max(1, left / 1_000_000));
            }
        }
        Thread.sleep(200); // a second completion, if there were one, would come from the same event loop by now
        List<AccessLogRecord> found = matching(targetPrefix);
        assertEquals(1, found.size(), () -> "exactly one record for " + targetPrefix + ": " + found);
        return found.getFirst();
    }

    private List<AccessLogRecord> matching(String targetPrefix) {
        synchronized (records) {
            return records.stream().filter(r -> r.target().startsWith(targetPrefix)).toList();
        }
    }

    /**
     * Asserts what every front end must log of a request: method, target, status, bytes and outcome, and that its
     * line says them where the combined format puts them.
     */
    public static void assertRecord(AccessLogRecord r, String method, String target, int status, long planned, long sent,
                                    AccessLogRecord.Outcome outcome) {
        assertEquals(method, r.method(), r::toString);
        assertEquals(target, r.target(), r::toString);
        assertEquals(status, r.status(), r::toString);
        assertEquals(planned, r.plannedBytes(), r::toString);
        assertEquals(sent, r.sentBytes(), r::toString);
        assertEquals(outcome, r.outcome(), r::toString);
        assertFalse(r.duration().isNegative(), r::toString);
        String line = r.line();
        assertFalse(line.contains("\r") || line.contains("\n"), () -> "one line: " + line);
        assertTrue(line.contains(" - - [") && line.contains("] \"" + r.method() + " " + r.target()), line);
        assertTrue(line.contains("\" " + status + " " + (sent < 0 ? "-" : Long.toString(sent)) + " \""), line);
    }
}
