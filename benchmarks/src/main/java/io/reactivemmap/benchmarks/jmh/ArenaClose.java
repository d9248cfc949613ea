package io.reactivemmap.benchmarks.jmh;

import io.reactivemmap.benchmarks.DataFiles;
import io.reactivemmap.benchmarks.LongSum;
import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * What closing a window's arena costs the closing thread, and what it costs other threads. One operation of the
 * closer maps the next window of the hot file, touches one byte per page and closes the window's arena (the
 * harness's {@code arena} suite, which this replaces, did the same). Replaces that suite's busy threads with JMH
 * groups, so JMH reports each thread's own rate:
 *
 * <ul>
 *   <li>{@link #alone}: the closer and nothing else: the quiet cost.</li>
 *   <li>group {@code computing}: the closer beside a thread in plain Java work ({@link Blackhole#consumeCPU}), which
 *       touches no memory segment.</li>
 *   <li>group {@code reading}: the closer beside a thread summing another, long-lived, pre-faulted mapping in its
 *       own shared arena, 1 MiB per operation. A shared arena's close makes every thread reach a safepoint and
 *       checks their compiled frames that access segments, so readers of segments are the ones it can hurt.</li>
 * </ul>
 *
 * <p>{@code strategy}: {@code confined} (one confined arena per window: no handshake, the cheapest close; the core
 * cannot use it because windows cross threads), {@code shared} (one shared arena per window: what the core does),
 * {@code shared-group-4} and {@code shared-group-16} (one shared arena per 4 or 16 windows, closed after the last
 * of them: Lucene's approach, one handshake per group, the windows stay mapped until then). The handshake's cost is
 * the difference between {@code shared} and {@code confined} at the same window size and group; what it costs the
 * busy thread is the difference of its own score ({@code :compute} or {@code :read}) between those runs. More busy
 * threads: {@code -tg 1,2} (closer first, then busy threads, in the methods' order). {@code -bm sample} gives the
 * closer's percentiles (the handshake's tail: waiting for a descheduled thread to reach a safepoint).
 * {@code Arena.ofAuto()} and {@code Arena.global()} are no baseline here: they cannot be closed.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class ArenaClose {
    /** Work per operation of the computing thread, in {@link Blackhole#consumeCPU} tokens. */
    private static final long COMPUTE_TOKENS = 1024;
    /** Bytes the reading thread sums per operation. */
    private static final int READ_STEP = DataFiles.MIB;
    /** The reading thread's own mapping (at most this, or the whole file if smaller). */
    private static final long READER_MAPPING = 64L * DataFiles.MIB;

    /** The closing thread: its file, strategy and position. */
    @State(Scope.Thread)
    public static class Closer {
        /** Bytes per window. */
        @Param({"1MiB", "16MiB"})
        public String window = "16MiB";

        /** {@code confined}, {@code shared}, {@code shared-group-4} or {@code shared-group-16}. */
        @Param({"confined", "shared", "shared-group-4", "shared-group-16"})
        public String strategy = "shared";

        private FileChannel channel;
        private long fileSize;
        private int windowBytes;
        private int pageSize;
        /** 0: confined arena per window; 1: shared arena per window; N > 1: one shared arena per N windows. */
        private int group;
        private long position;
        private @Nullable Arena groupArena;
        private int inGroup;

        /** Opens the hot file. */
        @Setup(Level.Trial)
        public void open(HotFile hot) throws IOException {
            windowBytes = hot.windowOf("window", window);
            group = switch (strategy) {
                case "confined" -> 0;
                case "shared" -> 1;
                default -> {
                    if (!strategy.startsWith("shared-group-")) {
                        throw new IllegalArgumentException("-p strategy=" + strategy + " is not a strategy: use "
                                + "confined, shared or shared-group-N (N windows per shared arena, N >= 2)");
                    }
                    int n;
                    try {
                        n = Integer.parseInt(strategy.substring("shared-group-".length()));
                    } catch (NumberFormatException e) {
                        n = -1;
                    }
                    if (n < 2) {
                        throw new IllegalArgumentException("-p strategy=" + strategy + ": N in shared-group-N must be "
                                + "a whole number >= 2");
                    }
                    yield n;
                }
            };
            pageSize = NativeAccess.pageSize();
            fileSize = hot.size();
            channel = FileChannel.open(hot.path(), StandardOpenOption.READ);
        }

        /** Unmaps a group still open and closes the file. */
        @TearDown(Level.Trial)
        public void close() throws IOException {
            if (groupArena != null) {
                groupArena.close();
                groupArena = null;
            }
            channel.close();
        }

        /** Maps the next window, touches every page, and closes its arena (or its group's, after the group's last). */
        void mapTouchClose(Blackhole bh) throws IOException {
            if (position + windowBytes > fileSize) {
                position = 0;
            }
            long pos = position;
            position += windowBytes;
            if (group <= 1) {
                try (Arena arena = group == 0 ? Arena.ofConfined() : Arena.ofShared()) {
                    bh.consume(DataFiles.touch(channel.map(FileChannel.MapMode.READ_ONLY, pos, windowBytes, arena), pageSize));
                }
                return;
            }
            Arena arena = groupArena;
            if (arena == null) {
                arena = Arena.ofShared();
                groupArena = arena;
            }
            bh.consume(DataFiles.touch(channel.map(FileChannel.MapMode.READ_ONLY, pos, windowBytes, arena), pageSize));
            if (++inGroup == group) {
                // The group's last window is done with: one close (one handshake) unmaps all of them.
                groupArena = null;
                inGroup = 0;
                arena.close();
            }
        }
    }

    /** A busy thread's own long-lived mapping of the hot file, faulted in before the trial. */
    @State(Scope.Thread)
    public static class Reader {
        private Arena arena;
        private MemorySegment mapping;
        private long position;

        /** Maps and faults in the start of the hot file. */
        @Setup(Level.Trial)
        public void map(HotFile hot) throws IOException {
            long length = Math.min(READER_MAPPING, hot.size()) & -(long) READ_STEP;
            if (length == 0) {
                throw new IllegalArgumentException("-p fileSize=" + hot.fileSize + " is smaller than the reader's 1 MiB step");
            }
            arena = Arena.ofShared();
            try (FileChannel ch = FileChannel.open(hot.path(), StandardOpenOption.READ)) {
                mapping = ch.map(FileChannel.MapMode.READ_ONLY, 0, length, arena);
            }
            DataFiles.touch(mapping, NativeAccess.pageSize());
        }

        /** Unmaps it. */
        @TearDown(Level.Trial)
        public void unmap() {
            arena.close();
        }

        long sumNextStep() {
            if (position + READ_STEP > mapping.byteSize()) {
                position = 0;
            }
            long s = LongSum.sumLongs(mapping, position, position + READ_STEP);
            position += READ_STEP;
            return s;
        }
    }

    /** The closer with no other thread. */
    @Benchmark
    public void alone(Closer closer, Blackhole bh) throws IOException {
        closer.mapTouchClose(bh);
    }

    /** The closer, beside {@link #compute}. */
    @Benchmark
    @Group("computing")
    @GroupThreads(1)
    public void closeBesideComputing(Closer closer, Blackhole bh) throws IOException {
        closer.mapTouchClose(bh);
    }

    /** Plain Java work, no memory segment. */
    @Benchmark
    @Group("computing")
    @GroupThreads(1)
    public void compute() {
        Blackhole.consumeCPU(COMPUTE_TOKENS);
    }

    /** The closer, beside {@link #read}. */
    @Benchmark
    @Group("reading")
    @GroupThreads(1)
    public void closeBesideReading(Closer closer, Blackhole bh) throws IOException {
        closer.mapTouchClose(bh);
    }

    /** Sums 1 MiB of another mapping (another shared arena). */
    @Benchmark
    @Group("reading")
    @GroupThreads(1)
    public void read(Reader reader, Blackhole bh) {
        bh.consume(reader.sumNextStep());
    }
}
