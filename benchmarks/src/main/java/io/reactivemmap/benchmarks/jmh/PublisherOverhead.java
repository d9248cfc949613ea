package io.reactivemmap.benchmarks.jmh;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.benchmarks.DataFiles;
import io.reactivemmap.benchmarks.LongSum;
import io.reactivemmap.internal.NativeAccess;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * The publisher's cost per window: one operation sums the whole hot file as longs ({@link LongSum}, the kernel of the
 * whole-process read suite), window by window, three ways; {@code :bytes} is bytes per second.
 *
 * <ul>
 *   <li>{@link #premapped}: from one segment mapped and faulted in before the trial: no mapping cost at all, the
 *       compute limit.</li>
 *   <li>{@link #handLoop}: a shared arena per window, mapped, summed (the reader takes the faults), closed: the
 *       operating system's per-window work without the library.</li>
 *   <li>{@link #publisher}: {@link MappedFile#read} with the default options at this window size, the consumer only
 *       summing: the library's per-window work (mapping, advice, populate-ahead on another thread, bookkeeping,
 *       Reactor's signals, the unmap on close).</li>
 * </ul>
 *
 * The publisher's cost per window is {@code (1 / bytes(publisher) - 1 / bytes(premapped)) * window} seconds; against
 * {@code handLoop}, what the library adds to (or, with populate-ahead, saves on) the operating system's work. Every
 * operation checks its checksum against the pre-mapped one. {@code maxLiveBytes} is raised to
 * {@code (1 + readAhead) * window} where the default (64 MiB) is smaller, so every window size reads one window ahead.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class PublisherOverhead {
    /** Bytes per window. */
    @Param({"64KiB", "1MiB", "16MiB", "64MiB"})
    public String window = "16MiB";

    private Path file;
    private long fileSize;
    private long summed;
    private int windowBytes;
    private MapOptions options;
    private FileChannel channel;
    private Arena premappedArena;
    private MemorySegment premapped;
    private long expected;

    /** Maps the whole file once, faults it in, and computes the checksum every operation must reproduce. */
    @Setup(Level.Trial)
    public void open(HotFile hot) throws IOException {
        windowBytes = hot.windowOf("window", window);
        if (windowBytes % 8 != 0) {
            throw new IllegalArgumentException("-p window=" + window + " must be a multiple of 8 bytes here: every path "
                    + "sums whole longs of each window");
        }
        file = hot.path();
        fileSize = hot.size();
        summed = fileSize & ~7L;
        MapOptions d = MapOptions.defaults().withWindowSize(windowBytes);
        options = d.withMaxLiveBytes(Math.max(d.maxLiveBytes(), (1L + d.readAhead()) * windowBytes));
        channel = FileChannel.open(file, StandardOpenOption.READ);
        premappedArena = Arena.ofShared();
        premapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, premappedArena);
        DataFiles.touch(premapped, NativeAccess.pageSize());
        expected = sumPremapped();
    }

    /** Unmaps the pre-mapped segment; fails the trial if the publisher left a window mapped. */
    @TearDown(Level.Trial)
    public void close() throws IOException, InterruptedException {
        premappedArena.close();
        channel.close();
        HotFile.assertNoLiveWindows("PublisherOverhead");
    }

    private long sumPremapped() {
        long s = 0;
        for (long pos = 0; pos < summed; pos += windowBytes) {
            s += LongSum.sumLongs(premapped, pos, Math.min(summed, pos + windowBytes));
        }
        return s;
    }

    private void check(String benchmark, long sum) {
        if (sum != expected) {
            throw new IllegalStateException(benchmark + " summed " + sum + ", the pre-mapped file sums " + expected);
        }
    }

    /** From one pre-mapped, pre-faulted segment, in window-sized steps. */
    @Benchmark
    public void premapped(Bytes bytes, Blackhole bh) {
        long s = sumPremapped();
        check("premapped", s);
        bh.consume(s);
        bytes.bytes += fileSize;
    }

    /** A shared arena per window: map, sum, close. */
    @Benchmark
    public void handLoop(Bytes bytes, Blackhole bh) throws IOException {
        long s = 0;
        for (long pos = 0; pos < fileSize; pos += windowBytes) {
            long length = Math.min(windowBytes, fileSize - pos);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment m = channel.map(FileChannel.MapMode.READ_ONLY, pos, length, arena);
                s += LongSum.sumLongs(m, 0, length & ~7L);
            }
        }
        check("handLoop", s);
        bh.consume(s);
        bytes.bytes += fileSize;
    }

    /** {@link MappedFile#read}: each window is closed (unmapped) by {@code read} right after the consumer returns. */
    @Benchmark
    public void publisher(Bytes bytes, Blackhole bh) {
        Long s = MappedFile.read(file, options, w -> LongSum.sumLongs(w.segment(), 0, w.length() & ~7L))
                .reduce(0L, Long::sum)
                .block();
        check("publisher", s == null ? 0 : s);
        bh.consume(s);
        bytes.bytes += fileSize;
    }
}
