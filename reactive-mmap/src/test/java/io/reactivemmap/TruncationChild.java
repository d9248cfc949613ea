package io.reactivemmap;

import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run in a forked JVM by {@link TruncationInForkedJvmTest}: truncates a mapped file under a running stream and
 * checks that the stream fails with {@link FileTruncatedException} (never a JVM crash, never a leaked
 * {@link InternalError}, never a result computed from bytes past the new end). Prints one
 * {@code SCENARIO-OK name} line per scenario and {@code TRUNCATION-CHILD-DONE} at the end, then exits 0;
 * exits 1 on any failed check.
 *
 * <p>Arguments: {@code <file> <fileSize> <windowSize> <warmUpPasses> <scenario>...}. The file holds, at long index
 * {@code i}, the value {@code i + 1} (little-endian), so the sum of any window has a closed form and a window read
 * with zeros or garbage in it gives a wrong sum.
 */
public final class TruncationChild {
    record Result(long offset, int length, long sum) {
    }

    private static Path file;
    private static long size;
    private static int windowSize;

    public static void main(String[] args) throws Exception {
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(40_000);
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("TRUNCATION-CHILD-TIMEOUT");
            Thread.getAllStackTraces().forEach((t, st) -> {
                System.out.println(t);
                for (StackTraceElement e : st) {
                    System.out.println("    at " + e);
                }
            });
            Runtime.getRuntime().halt(3);
        });
        try {
            file = Path.of(args[0]);
            size = Long.parseLong(args[1]);
            windowSize = Integer.parseInt(args[2]);
            int warmUpPasses = Integer.parseInt(args[3]);
            writeFile();
            for (int i = 0; i < warmUpPasses; i++) {
                List<Result> results = MappedFile.read(file, options(), TruncationChild::sum).collectList().block();
                check(results != null && results.size() == (int) (size / windowSize), "warm-up pass read every window");
                results.forEach(TruncationChild::checkSum);
            }
            for (int i = 4; i < args.length; i++) {
                writeFile();
                switch (args[i]) {
                    case "read-mid-aligned" -> readWithTruncationInsideWindow(2, windowSize / 2);
                    case "read-mid-unaligned" -> readWithTruncationInsideWindow(2, windowSize / 2 + 123);
                    case "read-boundary" -> readWithTruncationAtWindowEnd(2);
                    case "raw-windows" -> rawWindowsReadAfterTruncation(2);
                    case "close-while-reading" -> closeWhileAnotherThreadReads();
                    default -> throw new IllegalArgumentException("unknown scenario " + args[i]);
                }
                waitUntilNothingMapped();
                System.out.println("SCENARIO-OK " + args[i]);
            }
            System.out.println("TRUNCATION-CHILD-DONE");
            System.out.flush();
            System.exit(0);
        } catch (Throwable t) {
            System.out.println("TRUNCATION-CHILD-FAILED " + t);
            t.printStackTrace(System.out);
            System.out.flush();
            System.exit(1);
        }
    }

    private static MapOptions options() {
        return MapOptions.defaults().withWindowSize(windowSize).withReadAhead(1).withBudget(MappingBudget.of(1000, 1L << 40));
    }

    /** The window's bytes read as longs through the segment: what a real reader does. */
    static Result sum(MappedWindow w) {
        return new Result(w.offset(), w.length(), sumLongs(w.segment(), 0, w.length()));
    }

    private static long sumLongs(MemorySegment s, long from, long to) {
        long sum = 0;
        for (long p = from; p < to; p += 8) {
            sum += s.get(ValueLayout.JAVA_LONG_UNALIGNED, p);
        }
        return sum;
    }

    /** Sum of (i + 1) for long indexes i in [offset / 8, (offset + length) / 8). */
    private static long expectedSum(long offset, long length) {
        long a = offset / 8 + 1;
        long b = (offset + length) / 8; // last value, inclusive
        long n = b - a + 1;
        // n * (a + b) / 2 without losing the bit: one of n, a + b is even
        return (n % 2 == 0) ? (n / 2) * (a + b) : n * ((a + b) / 2);
    }

    private static void checkSum(Result r) {
        check(r.sum == expectedSum(r.offset, r.length),
                "result for window @" + r.offset + " was computed from wrong bytes (sum " + r.sum + ", expected "
                        + expectedSum(r.offset, r.length) + ")");
    }

    /**
     * The reader of window {@code k} reads a quarter of it, has the file truncated to a point inside the window,
     * then reads the whole window, bytes past the new end included (SIGBUS, or zeros up to the end of the page).
     */
    private static void readWithTruncationInsideWindow(int k, int intoWindow) throws Exception {
        long newSize = (long) k * windowSize + intoWindow;
        runRead(k, newSize, k);
    }

    /** The file is cut exactly at the end of window {@code k} while its reader runs: window k is intact, k+1 is not. */
    private static void readWithTruncationAtWindowEnd(int k) throws Exception {
        runRead(k, (long) (k + 1) * windowSize, k + 1);
    }

    private static void runRead(int k, long newSize, int expectedResults) throws Exception {
        CountDownLatch truncated = new CountDownLatch(1);
        List<Result> results = new CopyOnWriteArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        long kOffset = (long) k * windowSize;
        try {
            MappedFile.read(file, options(), w -> {
                if (w.offset() == kOffset) {
                    sumLongs(w.segment(), 0, w.length() / 4);
                    truncateOnAnotherThread(newSize);
                    truncated.countDown();
                }
                return sum(w);
            }).subscribe(results::add, e -> {
                error.set(e);
                done.countDown();
            }, done::countDown);
        } catch (Throwable escaped) {
            throw new AssertionError("an error escaped subscribe (should have been onError)", escaped);
        }
        check(done.await(20, TimeUnit.SECONDS), "stream did not terminate");
        check(truncated.getCount() == 0, "the truncation never happened");
        Throwable e = error.get();
        check(e instanceof FileTruncatedException, "expected FileTruncatedException via onError, got " + e);
        FileTruncatedException fte = (FileTruncatedException) e;
        System.out.println("read: " + fte + (fte.getCause() == null ? "" : " (cause: " + fte.getCause() + ")"));
        check(fte.path().equals(file) && fte.expectedSize() == size && fte.observedSize() == newSize,
                "exception fields: path " + fte.path() + " expected " + fte.expectedSize() + " observed " + fte.observedSize());
        check(fte.getMessage().contains(file.toString()) && fte.getMessage().contains(Long.toString(size))
                && fte.getMessage().contains(Long.toString(newSize)), "message names path and sizes: " + fte.getMessage());
        check(results.size() == expectedResults, "expected " + expectedResults + " results before the error, got "
                + results.size() + " " + results);
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            check(r.offset == (long) i * windowSize, "results in order");
            check(r.offset + r.length <= newSize, "a result was computed past the new end: " + r);
            checkSum(r);
        }
    }

    /**
     * A raw-windows consumer keeps reading window {@code k} with segment accessors after the file was cut inside it.
     * The JVM may raise InternalError in the consumer (acceptable there); it must not crash, and the stream must
     * end with FileTruncatedException for the next window.
     */
    private static void rawWindowsReadAfterTruncation(int k) throws Exception {
        long newSize = (long) k * windowSize + windowSize / 2 + 123;
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicReference<Throwable> inConsumer = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        MappedFile.windows(file, options()).subscribe(new CoreSubscriber<>() {
            Subscription s;

            @Override
            public void onSubscribe(Subscription s) {
                this.s = s;
                s.request(1);
            }

            @Override
            public void onNext(MappedWindow w) {
                try (w) {
                    if (w.offset() == (long) k * windowSize) {
                        truncateOnAnotherThread(newSize);
                    }
                    sumLongs(w.segment(), 0, w.length());
                    w.asByteBuffer().getLong(w.length() - 8);
                } catch (Throwable t) {
                    inConsumer.set(t);
                }
                s.request(1);
            }

            @Override
            public void onError(Throwable t) {
                error.set(t);
                done.countDown();
            }

            @Override
            public void onComplete() {
                done.countDown();
            }
        });
        check(done.await(20, TimeUnit.SECONDS), "stream did not terminate");
        Throwable c = inConsumer.get();
        check(c == null || c instanceof InternalError, "the consumer saw " + c);
        System.out.println("raw consumer saw: " + c);
        check(error.get() instanceof FileTruncatedException, "expected FileTruncatedException, got " + error.get());
    }

    /** Another thread reads a window in a loop through JDK accessors while it is closed: IllegalStateException, no crash. */
    private static void closeWhileAnotherThreadReads() throws Exception {
        List<MappedWindow> got = new CopyOnWriteArrayList<>();
        MappedFile.windows(file, options()).take(1).subscribe(got::add);
        check(got.size() == 1, "got one window");
        MappedWindow w = got.getFirst();
        AtomicReference<Throwable> readerSaw = new AtomicReference<>();
        CountDownLatch reading = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                MemorySegment s = w.segment();
                for (;;) {
                    sumLongs(s, 0, s.byteSize());
                    reading.countDown();
                }
            } catch (Throwable t) {
                readerSaw.set(t);
            }
        });
        check(reading.await(10, TimeUnit.SECONDS), "reader started");
        Thread.sleep(20);
        w.close();
        reader.join(10_000);
        check(!reader.isAlive(), "the reader never noticed the close");
        check(readerSaw.get() instanceof IllegalStateException, "reader saw " + readerSaw.get());
    }

    private static void truncateOnAnotherThread(long newSize) {
        Thread t = Thread.ofPlatform().start(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(newSize);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
        try {
            check(Files.size(file) == newSize, "file truncated to " + newSize);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static void writeFile() throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long index = 0;
            for (long pos = 0; pos < size; pos += buf.capacity()) {
                buf.clear();
                while (buf.hasRemaining()) {
                    buf.putLong(++index);
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
        check(Files.size(file) == size, "file size");
    }

    private static void waitUntilNothingMapped() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (MappingStats.snapshot().liveWindows() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        check(MappingStats.snapshot().liveWindows() == 0, "left mapped: " + MappingStats.snapshot());
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
