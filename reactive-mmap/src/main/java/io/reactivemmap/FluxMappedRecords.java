package io.reactivemmap;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The operator behind {@link MappedRecords}: cuts the windows of a {@link FluxMappedWindows} source into records.
 *
 * <p>It asks its source for one window at a time, and only when the downstream has demand and the current window
 * holds no further delimiter. A record inside the current window is emitted as a view holding a
 * {@linkplain MappedWindow#retain() reference} to it; the operator gives back its own (onNext) reference as soon as it
 * has scanned the window to its end, so a window stays mapped exactly as long as a record (or the scan) needs it.
 *
 * <p>A record that crosses a window boundary is copied once, when its end is found: the part in the current window
 * from the mapping, the part before it with one positional read of the file (the same page cache). Windows already
 * scanned are not held back for it: holding them could exceed {@link MapOptions#maxLiveBytes()}, and the source
 * would then wait for a close that never comes. So a record spanning many windows costs one copy and one read, and
 * nothing is buffered while its end is searched (only {@link RecordOptions#maxRecordLength()} bounds it).
 *
 * <p>All work happens in the drain loop, run by one thread at a time (work-in-progress counter): the thread calling
 * {@code request}, the thread delivering a window, or the thread whose close let the source map the next one.
 */
final class FluxMappedRecords extends Flux<MappedRecord> {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]).asReadOnly();

    private final Flux<MappedWindow> windows;
    private final Path path;
    /** The file offset just past the range, or -1 for "the end of the file, as measured by the source". */
    private final long rangeEnd;
    private final RecordOptions options;

    FluxMappedRecords(Flux<MappedWindow> windows, Path path, long rangeEnd, RecordOptions options) {
        this.windows = windows;
        this.path = path;
        this.rangeEnd = rangeEnd;
        this.options = options;
    }

    @Override
    public void subscribe(CoreSubscriber<? super MappedRecord> actual) {
        windows.subscribe(new RecordSubscriber(actual, path, rangeEnd, options));
    }

    @Override
    public String toString() {
        return "MappedRecords(" + path + ")";
    }

    /**
     * The index of the first {@code b} in {@code segment[from, to)}, or -1. Eight bytes per step (the classic
     * "has zero byte" test on {@code word ^ pattern}): a borrow can only flag bytes after a real match, so with
     * little-endian loads the lowest flagged byte is the first match.
     */
    static long indexOf(MemorySegment segment, long from, long to, byte b) {
        long pattern = (b & 0xFFL) * ONES;
        long i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long v = segment.get(LONG_LE, i) ^ pattern;
            long found = (v - ONES) & ~v & HIGHS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (segment.get(ValueLayout.JAVA_BYTE, i) == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * One subscription's state machine.
     *
     * <h2>Who runs what</h2>
     * All scanning, emitting and terminating happens in the drain loop, which one thread at a time runs
     * (work-in-progress counter {@code wip}): the thread calling {@code request} or {@code cancel}, the thread
     * delivering a window ({@code onNext} parks it in {@code incoming} and drains), or the thread whose close let the
     * source map the next one. {@code current}, {@code pos} and the other scan fields are confined to the loop.
     *
     * <h2>Cancellation against emission</h2>
     * The same protocol as the window source's ({@link EmissionGate}: {@code CANCELLED} and {@code EMITTING} bits,
     * changed only by compare-and-set):
     * <ul>
     *   <li>Before each {@code onNext(record)} the loop claims the emission; if {@code CANCELLED} is set, the record
     *   (which may hold a {@linkplain MappedWindow#retain() reference} to the current window) is closed by the
     *   operator instead. So every record the operator cut is emitted exactly once or closed by it.</li>
     *   <li>{@code cancel()} sets {@code CANCELLED} and, if another thread is inside {@code onNext(record)}, waits
     *   until it returns; once {@code cancel()} has returned no {@code onNext} is running or will start. From inside
     *   {@code onNext} on the emitting thread (as {@code take(n)} does) it returns at once.</li>
     *   <li>The cancelling thread then drains: the loop (on whichever thread holds it) cancels the window source,
     *   whose own protocol closes every window it has not emitted, and closes the current window and one parked in
     *   {@code incoming}. A window the source delivers later (it can only be one whose emission it claimed before
     *   our cancel reached it) is closed by the next drain.</li>
     * </ul>
     */
    static final class RecordSubscriber implements CoreSubscriber<MappedWindow>, Subscription, Scannable {
        private static final VarHandle WIP;
        private static final VarHandle REQUESTED;
        private static final VarHandle INCOMING;

        static {
            try {
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                WIP = lookup.findVarHandle(RecordSubscriber.class, "wip", int.class);
                REQUESTED = lookup.findVarHandle(RecordSubscriber.class, "requested", long.class);
                INCOMING = lookup.findVarHandle(RecordSubscriber.class, "incoming", MappedWindow.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final CoreSubscriber<? super MappedRecord> actual;
        private final Path path;
        private final long configuredEnd;
        private final byte delimiter;
        private final boolean stripCr;
        private final int maxLength;

        private @Nullable Subscription upstream;
        @SuppressWarnings("unused") private volatile int wip;
        @SuppressWarnings("unused") private volatile long requested;
        /** A window delivered by the source and not yet taken by the drain loop (at most one: we request one at a time). */
        @SuppressWarnings("unused") private volatile @Nullable MappedWindow incoming;
        private volatile boolean done;
        private volatile @Nullable Throwable error;
        /** CANCELLED and EMITTING bits: see the class documentation. */
        private final EmissionGate gate = new EmissionGate();
        private volatile @Nullable Throwable badRequest;

        // Touched only inside the drain loop.
        private @Nullable MappedWindow current;
        /** Scan position in {@code current}, relative to its first byte. */
        private long pos;
        private boolean started;
        /** File offset of the first byte of the record being searched for. */
        private long recordStart;
        /** File offset just past the last window scanned to its end. */
        private long scannedEnd;
        /** The last byte of the last window scanned to its end (for a CR right before a window boundary). */
        private byte lastByte;
        private long index;
        private boolean awaitingWindow;
        private boolean terminated;

        RecordSubscriber(CoreSubscriber<? super MappedRecord> actual, Path path, long configuredEnd, RecordOptions options) {
            this.actual = actual;
            this.path = path;
            this.configuredEnd = configuredEnd;
            this.delimiter = options.delimiter();
            this.stripCr = options.stripCarriageReturn();
            this.maxLength = options.maxRecordLength();
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(MappedWindow window) {
            MappedWindow previous = (MappedWindow) INCOMING.getAndSet(this, window);
            if (previous != null) {
                // The source sent more than we asked for (a §1.1 violation): do not leak what it sent.
                previous.close();
            }
            drain();
        }

        @Override
        public void onError(Throwable t) {
            error = t;
            done = true;
            drain();
        }

        @Override
        public void onComplete() {
            done = true;
            drain();
        }

        @Override
        public void request(long n) {
            if (n <= 0) {
                // Rule 3.9: signal, never throw from request.
                badRequest = new IllegalArgumentException("§3.9 violated: request must be positive, but was " + n);
            } else {
                io.reactivemmap.internal.Demand.add(REQUESTED, this, n);
            }
            drain();
        }

        @Override
        public void cancel() {
            gate.cancel();
            drain();
        }

        private void drain() {
            if ((int) WIP.getAndAdd(this, 1) != 0) {
                return;
            }
            int missed = 1;
            for (;;) {
                drainLoop();
                missed = (int) WIP.getAndAdd(this, -missed) - missed;
                if (missed == 0) {
                    return;
                }
            }
        }

        private void drainLoop() {
            if (terminated) {
                // A window that arrives after cancel or termination is closed here, never leaked.
                closeIncoming();
                return;
            }
            try {
                for (;;) {
                    if (gate.isCancelled()) {
                        cleanUp();
                        return;
                    }
                    Throwable bad = badRequest;
                    if (bad != null) {
                        fail(bad);
                        return;
                    }
                    if (done && error != null) {
                        fail(error);
                        return;
                    }
                    MappedWindow w = current;
                    if (w == null) {
                        MappedWindow in = (MappedWindow) INCOMING.getAndSet(this, null);
                        if (in != null) {
                            accept(in);
                            continue;
                        }
                        if (done) {
                            complete();
                            return;
                        }
                        if (awaitingWindow || (long) REQUESTED.getVolatile(this) == 0) {
                            return;
                        }
                        // Map the next window only now: a record is wanted and this window has none left.
                        awaitingWindow = true;
                        upstream().request(1);
                        continue; // the source may have delivered synchronously
                    }
                    if (pos == w.length()) {
                        // Nothing left to cut here (its last byte ended a record): let the window go now, without
                        // waiting for demand, so it is unmapped and the stream can complete as soon as possible.
                        finish(w);
                        continue;
                    }
                    long r = (long) REQUESTED.getVolatile(this);
                    if (r == 0) {
                        return;
                    }
                    MappedRecord record = next(w);
                    if (record != null) {
                        if (r != Long.MAX_VALUE) {
                            REQUESTED.getAndAdd(this, -1L);
                        }
                        if (!gate.claim()) {
                            // Cancelled since the check above: the record never leaves the operator.
                            record.close();
                            cleanUp();
                            return;
                        }
                        try {
                            actual.onNext(record);
                        } finally {
                            gate.endEmission();
                        }
                    }
                }
            } catch (InternalError fault) {
                // A read of mapped memory faulted (file truncated under us, or a device error): Reactor would treat the
                // Error as fatal, so it becomes an IOException that can travel through onError.
                MappedWindow w = current;
                fail(w != null ? w.faulted(fault)
                        : new IOException("reading " + path + " faulted: " + fault.getMessage(), fault));
            } catch (Throwable t) {
                // Errors of our own (a too-long record, a failed read) are signalled, never thrown out of request().
                fail(Operators.onOperatorError(upstream, t, actual.currentContext()));
            }
        }

        private Subscription upstream() {
            Subscription s = upstream;
            if (s == null) {
                throw new IllegalStateException("no subscription from the window source");
            }
            return s;
        }

        private void accept(MappedWindow w) {
            awaitingWindow = false;
            if (!started) {
                started = true;
                recordStart = w.offset();
                scannedEnd = w.offset();
            }
            current = w;
            pos = 0;
        }

        /**
         * The next record that ends in {@code w}, or {@code null} when {@code w} holds no further delimiter (having
         * closed it).
         */
        private @Nullable MappedRecord next(MappedWindow w) throws IOException {
            MemorySegment segment = w.segment();
            long found = indexOf(segment, pos, w.length(), delimiter);
            if (found >= 0) {
                long delimiterAt = w.offset() + found;
                pos = found + 1;
                long start = recordStart;
                recordStart = delimiterAt + 1;
                return record(w, start, contentEnd(w, start, delimiterAt));
            }
            long end = rangeEnd(w);
            if (w.end() >= end && recordStart < w.end()) {
                // The last record, with no delimiter after it: it ends with the range.
                long start = recordStart;
                pos = w.length();
                recordStart = w.end();
                return record(w, start, contentEnd(w, start, w.end()));
            }
            long soFar = w.end() - recordStart;
            if (soFar > (long) maxLength + (stripCr ? 1 : 0)) {
                // Even with a CR dropped it is too long: stop before anything is allocated for it.
                throw new RecordTooLongException(path, recordStart, maxLength, delimiter);
            }
            finish(w);
            return null;
        }

        /** Done with {@code w}: remember what the next window needs of it, and give back our reference. */
        private void finish(MappedWindow w) throws IOException {
            lastByte = w.segment().get(ValueLayout.JAVA_BYTE, w.length() - 1L);
            scannedEnd = w.end();
            current = null;
            // The source checked the file's size before emitting this window; check again now that we have read it,
            // so a file that shrank under the records just emitted fails the stream instead of passing silently.
            FileTruncatedException truncated = w.checkIntact().orElse(null);
            w.close();
            if (truncated != null) {
                throw truncated;
            }
        }

        /** Where the record {@code [start, delimiterAt)} ends once a carriage return before the delimiter is dropped. */
        private long contentEnd(MappedWindow w, long start, long delimiterAt) {
            if (!stripCr || delimiterAt == start) {
                return delimiterAt;
            }
            long before = delimiterAt - 1;
            byte b = before >= w.offset() ? w.segment().get(ValueLayout.JAVA_BYTE, before - w.offset()) : lastByte;
            return b == '\r' ? before : delimiterAt;
        }

        private long rangeEnd(MappedWindow w) {
            // For a whole file, the source streams up to the size it measured at subscription.
            return configuredEnd >= 0 ? configuredEnd : w.file().size;
        }

        private MappedRecord record(MappedWindow w, long start, long end) throws IOException {
            long length = end - start;
            if (length > maxLength) {
                throw new RecordTooLongException(path, start, maxLength, delimiter);
            }
            long i = index++;
            if (length == 0) {
                return new MappedRecord(path, i, start, EMPTY, null, false);
            }
            if (start >= w.offset()) {
                // Inside the current window: a view, no copy. The record holds its own reference to the window.
                MemorySegment view = w.segment().asSlice(start - w.offset(), length);
                return new MappedRecord(path, i, start, view, w.retain(), false);
            }
            // Crosses into the current window from windows already closed: the record's one copy. The bytes before
            // this window come from the file by a positional read (the channel stays open while w is held); the rest
            // from this window's mapping.
            byte[] bytes = new byte[(int) length];
            long mappedFrom = Math.max(start, w.offset());
            int before = (int) (Math.min(end, w.offset()) - start);
            readFully(w, start, bytes, before);
            if (end > mappedFrom) {
                MemorySegment.copy(w.segment(), ValueLayout.JAVA_BYTE, mappedFrom - w.offset(), bytes, before,
                        (int) (end - mappedFrom));
            }
            return new MappedRecord(path, i, start, MemorySegment.ofArray(bytes).asReadOnly(), null, true);
        }

        private static void readFully(MappedWindow w, long position, byte[] into, int length) throws IOException {
            FileChannel channel = w.file().channel();
            ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, position + buffer.position());
                if (n < 0) {
                    throw new FileTruncatedException(w.path(), position + buffer.position(), w.file().size,
                            w.file().currentSize());
                }
            }
        }

        private void complete() {
            terminated = true;
            if (started && recordStart < scannedEnd) {
                // Cannot happen while the source streams up to rangeEnd: the last window emits the last record.
                actual.onError(new IllegalStateException("the window source of " + path + " completed at offset "
                        + scannedEnd + " before the end of the range; the record at " + recordStart + " was not emitted"));
                return;
            }
            actual.onComplete();
        }

        private void fail(Throwable t) {
            cleanUp();
            actual.onError(t);
        }

        /** Cancels the source and closes every window this operator still holds. Records emitted belong downstream. */
        private void cleanUp() {
            terminated = true;
            Subscription s = upstream;
            if (s != null && !done) {
                s.cancel();
            }
            MappedWindow w = current;
            current = null;
            if (w != null) {
                w.close();
            }
            closeIncoming();
        }

        private void closeIncoming() {
            MappedWindow in = (MappedWindow) INCOMING.getAndSet(this, null);
            if (in != null) {
                in.close();
            }
        }

        @Override
        public @Nullable Object scanUnsafe(Attr key) {
            if (key == Attr.PARENT) {
                return upstream;
            }
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.REQUESTED_FROM_DOWNSTREAM) {
                return requested;
            }
            if (key == Attr.PREFETCH) {
                return 1;
            }
            if (key == Attr.CANCELLED) {
                return gate.isCancelled();
            }
            if (key == Attr.TERMINATED) {
                return done;
            }
            if (key == Attr.ERROR) {
                return error;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.SYNC;
            }
            return null;
        }
    }
}
