package io.reactivemmap.netty.http;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A log line whose volume a client must not control (one per flooding connection, say): at most one line per
 * {@code interval}, each a single line without a stack trace; the lines left out meanwhile are counted, and the next
 * line written says how many there were. Thread-safe: one instance serves every event loop of a server.
 */
final class RateLimitedLog {
    private final System.Logger log;
    private final Level level;
    private final long intervalNanos;
    private final LongSupplier clock;
    /** When the next line may be written, on {@link #clock}. */
    private final AtomicLong next;
    private final LongAdder suppressed = new LongAdder();

    RateLimitedLog(System.Logger log, Level level, Duration interval) {
        this(log, level, interval, System::nanoTime);
    }

    /** With {@code clock} in place of {@link System#nanoTime()} (tests). */
    RateLimitedLog(System.Logger log, Level level, Duration interval, LongSupplier clock) {
        this.log = log;
        this.level = level;
        this.intervalNanos = interval.toNanos();
        this.clock = clock;
        this.next = new AtomicLong(clock.getAsLong());
    }

    /**
     * Writes {@code message} unless a line was written less than the interval ago; counts it otherwise (the message is
     * then not built).
     */
    void log(Supplier<String> message) {
        long now = clock.getAsLong();
        long due = next.get();
        if (now - due < 0) {
            suppressed.increment();
            return;
        }
        // Read before claiming the line: calls suppressed after the claim (by threads that saw it) belong to the next one.
        long more = suppressed.sum();
        if (!next.compareAndSet(due, now + intervalNanos)) {
            suppressed.increment();
            return;
        }
        suppressed.add(-more);
        log.log(level, () -> message.get() + (more == 0 ? ""
                : " (" + more + " more like it since the previous such line, not logged)"));
    }
}
