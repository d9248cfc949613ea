package io.reactivemmap.netty.http;

import org.jspecify.annotations.Nullable;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * An {@link AccessLog} that writes each record's {@linkplain AccessLogRecord#line() line} to standard output, standard
 * error or a file, off the event loop: {@link #log} only puts the line on a bounded queue, and one daemon thread takes
 * the lines off it and writes them, UTF-8, buffered, flushed whenever the queue is empty and at least every
 * {@linkplain #DEFAULT_FLUSH_INTERVAL second} under load, and on {@link #close()}.
 *
 * <p><b>Never blocking the event loop:</b> when the queue is full (the disk or the pipe cannot keep up), the line is
 * dropped and counted ({@link #dropped()}); once per flush interval a {@code WARNING} on the logger
 * {@code io.reactivemmap.netty.http.AccessLogWriter} says how many lines were dropped since the last one. A write that
 * fails (a full disk) is logged the same way, at most once per interval, naming the file; its lines count as dropped.
 *
 * <p>A file is opened with {@code CREATE} and {@code APPEND}: several processes may append to one file, and a file
 * that already exists is continued. {@link #reopen()} opens the file's name again (after {@code logrotate} moved it):
 * the lines queued so far go to the old file, the later ones to the new. Opening errors name the file: its directory
 * does not exist, it is a directory, it cannot be written.
 *
 * <pre>{@code
 * try (AccessLogWriter log = AccessLogWriter.toFile(Path.of("/var/log/files/access.log"))) {
 *     FileServer server = FileServer.start(options, log);
 *     ...
 *     server.close();
 * }   // the lines still queued are written and flushed here
 * }</pre>
 *
 * <p>Thread-safe: {@link #log} is called from every event loop.
 */
public final class AccessLogWriter implements AccessLog, Closeable {
    private static final System.Logger LOG = System.getLogger(AccessLogWriter.class.getName());
    /** Lines the queue holds before it drops: about 4 MiB of typical lines, seconds of a busy server's log. */
    public static final int DEFAULT_CAPACITY = 16_384;
    /** The longest a line waits in the buffer under load, and how often dropped lines are reported. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);
    /** How many lines the thread takes off the queue at once. */
    private static final int BATCH = 1024;
    /** A request to {@link #reopen()}, put on the queue so it comes in order with the lines. */
    private static final String REOPEN = new String("reopen");
    /** Put on the queue by {@link #close()} to wake the thread (an interrupt could close a file channel mid-write). */
    private static final String CLOSE = new String("close");

    private final String name;
    private final @Nullable Path file;
    private final BlockingQueue<String> queue;
    private final long flushNanos;
    private final LongAdder dropped = new LongAdder();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread thread;
    /** Written by the thread only (and by the constructor before it starts). */
    private Writer out;
    /** Whether closing {@link #out} closes the stream too (a file), or only flushes it (stdout, stderr). */
    private final boolean owned;

    private AccessLogWriter(String name, @Nullable Path file, Writer out, boolean owned, int capacity,
                            Duration flushInterval) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("flushInterval must be positive: " + flushInterval);
        }
        this.name = name;
        this.file = file;
        this.out = out;
        this.owned = owned;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.flushNanos = flushInterval.toNanos();
        this.thread = Thread.ofPlatform().daemon().name("access-log-writer " + name).unstarted(this::run);
        thread.start();
    }

    /** Writes to standard output ({@link System#out} as it is now), with the default capacity and flush interval. */
    public static AccessLogWriter toStdout() {
        return toStream("stdout", System.out);
    }

    /** Writes to standard error ({@link System#err} as it is now), with the default capacity and flush interval. */
    public static AccessLogWriter toStderr() {
        return toStream("stderr", System.err);
    }

    /**
     * Writes to {@code stream}, named {@code name} in warnings; {@link #close()} flushes the stream but does not close
     * it. With the default capacity and flush interval.
     */
    public static AccessLogWriter toStream(String name, OutputStream stream) {
        return toStream(name, stream, DEFAULT_CAPACITY, DEFAULT_FLUSH_INTERVAL);
    }

    /**
     * Writes to {@code stream}, named {@code name} in warnings, queueing at most {@code capacity} lines and flushing
     * at least every {@code flushInterval} under load; {@link #close()} flushes the stream but does not close it.
     *
     * @throws IllegalArgumentException if {@code capacity} is below 1 or {@code flushInterval} not positive
     */
    public static AccessLogWriter toStream(String name, OutputStream stream, int capacity, Duration flushInterval) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(flushInterval, "flushInterval");
        return new AccessLogWriter(name, null, writer(stream), false, capacity, flushInterval);
    }

    /**
     * Appends to {@code file} (created if absent), with the default capacity and flush interval.
     *
     * @throws IOException naming the file when it cannot be opened for appending: its directory does not exist, it is a
     *                     directory, or it cannot be written
     */
    public static AccessLogWriter toFile(Path file) throws IOException {
        return toFile(file, DEFAULT_CAPACITY, DEFAULT_FLUSH_INTERVAL);
    }

    /**
     * Appends to {@code file} (created if absent), queueing at most {@code capacity} lines and flushing at least every
     * {@code flushInterval} under load.
     *
     * @throws IOException naming the file when it cannot be opened for appending
     * @throws IllegalArgumentException if {@code capacity} is below 1 or {@code flushInterval} not positive
     */
    public static AccessLogWriter toFile(Path file, int capacity, Duration flushInterval) throws IOException {
        Path f = Objects.requireNonNull(file, "file").toAbsolutePath();
        Objects.requireNonNull(flushInterval, "flushInterval");
        return new AccessLogWriter(f.toString(), f, open(f), true, capacity, flushInterval);
    }

    /**
     * Why {@code file} cannot be an access log, or null if it can as far as can be told without opening it: its
     * directory does not exist or cannot be written, it is a directory, it exists and cannot be written. For a
     * command line that checks its arguments before it starts anything; {@link #toFile} checks again when it opens.
     */
    public static @Nullable String problem(Path file) {
        Path f = file.toAbsolutePath();
        if (Files.isDirectory(f)) {
            return "it is a directory (name a file in it, such as " + f.resolve("access.log") + ")";
        }
        if (Files.exists(f)) {
            return Files.isWritable(f) ? null : "the file cannot be written (permission denied)";
        }
        Path dir = f.getParent();
        if (dir == null || !Files.exists(dir)) {
            return "its directory " + dir + " does not exist";
        }
        if (!Files.isDirectory(dir)) {
            return dir + " is a file, not a directory";
        }
        return Files.isWritable(dir) ? null : "it cannot be created: its directory " + dir + " cannot be written (permission denied)";
    }

    private static Writer open(Path file) throws IOException {
        String problem = problem(file);
        if (problem != null) {
            throw new IOException("cannot open the access log " + file + ": " + problem);
        }
        try {
            return writer(Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE));
        } catch (AccessDeniedException e) {
            throw new IOException("cannot open the access log " + file + ": permission denied", e);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot open the access log " + file + ": its directory does not exist", e);
        } catch (IOException e) {
            throw new IOException("cannot open the access log " + file + ": " + e.getMessage(), e);
        }
    }

    private static Writer writer(OutputStream stream) {
        return new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 64 << 10);
    }

    /** Queues {@code record}'s line; drops and counts it if the queue is full or this writer is closed. Never blocks. */
    @Override
    public void log(AccessLogRecord record) {
        offer(record.line());
    }

    /**
     * Queues one line (without its line separator); drops and counts it if the queue is full or this writer is
     * closed. Never blocks.
     *
     * @return whether the line was queued
     */
    public boolean offer(String line) {
        Objects.requireNonNull(line, "line");
        if (closed.get() || !queue.offer(line)) {
            dropped.increment();
            return false;
        }
        return true;
    }

    /** Lines dropped so far: queue full, writer closed, or a write that failed. */
    public long dropped() {
        return dropped.sum();
    }

    /** Where the lines go: {@code stdout}, {@code stderr}, or the file's absolute path. */
    public String name() {
        return name;
    }

    /**
     * Opens the file again by its name (after {@code logrotate} moved it away), in order with the lines: those queued
     * before go to the old file. A file that cannot be opened is logged at {@code WARNING}, naming it, and the old one
     * is kept. Does nothing on standard output or error, or once closed. Never blocks (a full queue defers it to the
     * next call).
     *
     * @return whether the reopening was queued
     */
    public boolean reopen() {
        return file != null && !closed.get() && queue.offer(REOPEN);
    }

    /**
     * Writes the lines still queued, flushes, closes the file (standard output and error are flushed, not closed) and
     * stops the thread, waiting up to five seconds for it. Idempotent; lines logged later are dropped.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Wakes the thread from its poll; when the queue is full it is busy anyway and sees the flag after this batch.
        // Not an interrupt: one that lands during a write closes the file's channel (ClosedByInterruptException).
        queue.offer(CLOSE);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "AccessLogWriter[" + name + "]";
    }

    private void run() {
        List<String> batch = new ArrayList<>(BATCH);
        long lastFlush = System.nanoTime();
        long lastReport = lastFlush;
        long reportedDropped = 0;
        boolean unflushed = false;
        while (true) {
            String first = null;
            if (!closed.get()) {
                try {
                    first = queue.poll(flushNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    break; // nobody interrupts this thread but the JVM's end
                }
            }
            if (first != null) {
                batch.add(first);
            }
            queue.drainTo(batch, BATCH - batch.size());
            for (String line : batch) {
                if (line == REOPEN) { // identity: a line equal to "reopen" is a line
                    unflushed = flush(unflushed);
                    reopenNow();
                } else if (line != CLOSE) {
                    unflushed = write(line) || unflushed;
                }
            }
            batch.clear();
            long now = System.nanoTime();
            if (unflushed && (queue.isEmpty() || now - lastFlush >= flushNanos)) {
                unflushed = flush(true);
                lastFlush = now;
            }
            if (now - lastReport >= flushNanos) {
                long d = dropped.sum();
                if (d > reportedDropped) {
                    long n = d - reportedDropped;
                    LOG.log(Level.WARNING, () -> "access log " + name + ": dropped " + n + " line(s) since the last "
                            + "report: the queue of " + queueCapacity() + " lines was full (the log cannot be written "
                            + "as fast as requests end) or a write failed");
                    reportedDropped = d;
                }
                lastReport = now;
            }
            if (closed.get() && queue.isEmpty()) {
                break;
            }
        }
        flush(true);
        if (owned) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, () -> "access log " + name + ": cannot close: " + e.getMessage());
            }
        }
        long lost = dropped.sum() - reportedDropped;
        if (lost > 0) {
            LOG.log(Level.WARNING, () -> "access log " + name + ": dropped " + lost + " line(s) since the last report");
        }
    }

    private int queueCapacity() {
        return queue.size() + queue.remainingCapacity();
    }

    /** Whether the line was written (to the buffer); a failure is counted as a drop and reported once per interval. */
    private boolean write(String line) {
        try {
            out.write(line);
            out.write('\n');
            return true;
        } catch (IOException e) {
            dropped.increment();
            failed("cannot write", e);
            return false;
        }
    }

    /** Flushes if {@code unflushed}; returns whether something is still unflushed (false, or true after a failure). */
    private boolean flush(boolean unflushed) {
        if (!unflushed) {
            return false;
        }
        try {
            out.flush();
        } catch (IOException e) {
            failed("cannot write", e);
        }
        return false;
    }

    private long lastFailure = System.nanoTime() - Long.MAX_VALUE / 2;

    private void failed(String what, IOException e) {
        long now = System.nanoTime();
        if (now - lastFailure >= flushNanos) {
            lastFailure = now;
            LOG.log(Level.WARNING, () -> "access log " + name + ": " + what + ": " + e.getMessage());
        }
    }

    private void reopenNow() {
        Path f = Objects.requireNonNull(file);
        Writer fresh;
        try {
            fresh = open(f);
        } catch (IOException e) {
            LOG.log(Level.WARNING, () -> e.getMessage() + "; writing on to the file opened before");
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, () -> "access log " + name + ": cannot close the file opened before: " + e.getMessage());
        }
        out = fresh;
        LOG.log(Level.INFO, () -> "access log " + name + ": reopened");
    }
}
