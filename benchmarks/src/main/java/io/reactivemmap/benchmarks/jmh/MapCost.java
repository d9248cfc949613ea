package io.reactivemmap.benchmarks.jmh;

import io.reactivemmap.benchmarks.DataFiles;
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
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * What one window costs to map, fault in and unmap, by window size, over the hot file; one operation is one window
 * (consecutive windows, wrapping at the end of the file). The primary score is windows per second; {@code :bytes} is
 * bytes per second, so the cost per GiB is {@code 2^30 / bytes} seconds. Replaces the harness's {@code mapcost} suite:
 * its phases are the differences between the three benchmarks here.
 *
 * <ul>
 *   <li>{@link #mapUnmap}: {@code mmap} and the arena's close ({@code munmap}, plus the handshake for a shared arena),
 *       no page touched: the fixed cost of a window.</li>
 *   <li>{@link #mapPopulateUnmap}: the page tables filled by the kernel ({@code MADV_POPULATE_READ}, what the core's
 *       populate-ahead does on another core) without the CPU reading the data.</li>
 *   <li>{@link #mapTouchUnmap}: every page touched once by the reader (one byte per page): the reader takes the
 *       faults itself, as a stream without populate-ahead does.</li>
 * </ul>
 *
 * <p>{@code arena}: {@code shared} is what the core does (one {@code Arena.ofShared()} per window, closable from any
 * thread); {@code confined} is the cheapest close (no handshake), which the core cannot use because windows cross
 * threads. {@code Arena.ofAuto()} and {@code Arena.global()} are no baseline for a window: their mappings are unmapped
 * by the garbage collector or never, so a loop of them measures the collector, or runs out of
 * {@code vm.max_map_count}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class MapCost {
    /** Bytes per window. */
    @Param({"64KiB", "1MiB", "16MiB", "64MiB"})
    public String window = "16MiB";

    /** {@code shared} (the core's) or {@code confined}. */
    @Param({"shared", "confined"})
    public String arena = "shared";

    private FileChannel channel;
    private long fileSize;
    private int windowBytes;
    private boolean shared;
    private int pageSize;
    private long position;

    /** Opens the hot file. */
    @Setup(Level.Trial)
    public void open(HotFile hot) throws IOException {
        windowBytes = hot.windowOf("window", window);
        shared = switch (arena) {
            case "shared" -> true;
            case "confined" -> false;
            default -> throw new IllegalArgumentException("-p arena=" + arena + " is not an arena kind: use shared or confined");
        };
        if (!NativeAccess.available()) {
            throw new IllegalStateException("native access is off (" + NativeAccess.unavailableReason().orElse("")
                    + "): run the forks with --enable-native-access=ALL-UNNAMED, as @Fork does unless -jvmArgs replaces it");
        }
        pageSize = NativeAccess.pageSize();
        fileSize = hot.size();
        channel = FileChannel.open(hot.path(), StandardOpenOption.READ);
    }

    /** Closes the file. */
    @TearDown(Level.Trial)
    public void close() throws IOException {
        channel.close();
    }

    private long nextPosition() {
        if (position + windowBytes > fileSize) {
            position = 0;
        }
        long p = position;
        position += windowBytes;
        return p;
    }

    private Arena newArena() {
        return shared ? Arena.ofShared() : Arena.ofConfined();
    }

    /** Map, close: no page touched. */
    @Benchmark
    public void mapUnmap(Bytes bytes, Blackhole bh) throws IOException {
        try (Arena a = newArena()) {
            MemorySegment m = channel.map(FileChannel.MapMode.READ_ONLY, nextPosition(), windowBytes, a);
            bh.consume(m.address());
        }
        bytes.bytes += windowBytes;
    }

    /** Map, let the kernel fill the page tables from the page cache, close. */
    @Benchmark
    public void mapPopulateUnmap(Bytes bytes, Blackhole bh) throws IOException {
        try (Arena a = newArena()) {
            MemorySegment m = channel.map(FileChannel.MapMode.READ_ONLY, nextPosition(), windowBytes, a);
            // madvise itself, not NativeAccess.populate: that falls back to MADV_WILLNEED on old kernels, which
            // would make this benchmark quietly measure something else.
            int err = NativeAccess.madvise(m.address(), m.byteSize(), NativeAccess.MADV_POPULATE_READ);
            if (err != 0) {
                throw new IllegalStateException("madvise(MADV_POPULATE_READ) failed with errno " + err + " (it needs "
                        + "Linux 5.14 or newer): this benchmark cannot run here; mapTouchUnmap can");
            }
            bh.consume(m.address());
        }
        bytes.bytes += windowBytes;
    }

    /** Map, touch one byte of every page (the reader's faults), close. */
    @Benchmark
    public void mapTouchUnmap(Bytes bytes, Blackhole bh) throws IOException {
        try (Arena a = newArena()) {
            MemorySegment m = channel.map(FileChannel.MapMode.READ_ONLY, nextPosition(), windowBytes, a);
            bh.consume(DataFiles.touch(m, pageSize));
        }
        bytes.bytes += windowBytes;
    }
}
