package io.reactivemmap.netty;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what is logged under some {@code java.util.logging} names while it is open: the {@link System.Logger}s of this
 * project (the JDK's default backend is JUL) and Netty's (its {@code InternalLoggerFactory} picks JUL when neither SLF4J
 * nor Log4j is on the class path, as in this module's tests). Levels are left as they are; {@link #close} detaches.
 */
public final class CapturedLogs implements AutoCloseable {
    /** Held strongly: JUL forgets the handlers of a logger that is garbage-collected. */
    private final List<Logger> loggers = new ArrayList<>();
    private final List<LogRecord> records = new ArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            synchronized (records) {
                records.add(record);
                records.notifyAll();
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Starts recording every record of {@code names} (and their children) that their level lets through. */
    public CapturedLogs(String... names) {
        handler.setLevel(Level.ALL);
        for (String name : names) {
            Logger logger = Logger.getLogger(name);
            logger.addHandler(handler);
            loggers.add(logger);
        }
    }

    /** Everything recorded so far. */
    public List<LogRecord> records() {
        synchronized (records) {
            return List.copyOf(records);
        }
    }

    /** The first record matching {@code p}, waiting up to {@code timeout} for it; fails if none came. */
    public LogRecord await(Predicate<LogRecord> p, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (records) {
            for (;;) {
                for (LogRecord r : records) {
                    if (p.test(r)) {
                        return r;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no log record " + what + " within " + timeout + "; recorded: " + describe(records));
                }
                records.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** Records whose message or any thrown cause mentions {@code text}. */
    public List<LogRecord> mentioning(String text) {
        return records().stream().filter(r -> describe(r).contains(text)).toList();
    }

    /** The logger, level and message of a record, then its thrown causes with the top of their stacks. */
    public static String describe(LogRecord r) {
        StringBuilder b = new StringBuilder(r.getLoggerName()).append(' ').append(r.getLevel()).append(": ")
                .append(r.getMessage());
        for (Throwable t = r.getThrown(); t != null; t = t.getCause()) {
            b.append(" | ").append(t);
            StackTraceElement[] stack = t.getStackTrace();
            for (int i = 0; i < Math.min(stack.length, 12); i++) { // where it was thrown, for the failure message
                b.append("\n      at ").append(stack[i]);
            }
        }
        return b.toString();
    }

    private static String describe(List<LogRecord> rs) {
        StringBuilder b = new StringBuilder();
        for (LogRecord r : rs) {
            b.append("\n  ").append(describe(r));
        }
        return b.toString();
    }

    @Override
    public void close() {
        for (Logger logger : loggers) {
            logger.removeHandler(handler);
        }
    }
}
