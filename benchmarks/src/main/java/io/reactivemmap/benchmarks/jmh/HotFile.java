package io.reactivemmap.benchmarks.jmh;

import io.reactivemmap.MappingStats;
import io.reactivemmap.benchmarks.DataFiles;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The file every benchmark reads: {@code fileSize} pseudo-random bytes (default 256 MiB; {@code -p fileSize=4GiB} for
 * the whole-process suites' size), written at the start of each trial into a new temporary folder under
 * {@code java.io.tmpdir} (so never into the repository) and deleted with it at the end. Read back into the page cache
 * before every iteration: the benchmarks measure a hot file; a cold one needs the whole-process suites' page-cache
 * control.
 */
@State(Scope.Benchmark)
public class HotFile {
    private static final Duration RELEASE_GRACE = Duration.ofSeconds(5);

    /** The file's size: bytes, or a number with KiB, MiB or GiB. */
    @Param("256MiB")
    public String fileSize = "256MiB";

    private Path dir;
    private Path file;
    private long size;

    /** Writes the file into a new temporary folder. */
    @Setup(Level.Trial)
    public void create() throws IOException {
        size = Sizes.parse("fileSize", fileSize);
        Path d = Files.createTempDirectory("reactive-mmap-jmh-");
        dir = d;
        file = d.resolve("hot.bin");
        // JMH skips the tear-down when a benchmark's own set-up fails (a bad parameter, say) and ends the fork: delete
        // the data then too.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(d), "delete " + d));
        DataFiles.random(d, "hot.bin", size);
    }

    /** Reads the file into the page cache (idle page cache is evicted within minutes on some machines). */
    @Setup(Level.Iteration)
    public void warm() throws IOException {
        DataFiles.warm(file, size);
    }

    /** Deletes the file and its folder. */
    @TearDown(Level.Trial)
    public void delete() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    private static void deleteQuietly(Path d) {
        try (var files = Files.list(d)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(d);
        } catch (IOException e) {
            // already gone, or nothing more to do at exit
        }
    }

    Path path() {
        return file;
    }

    long size() {
        return size;
    }

    /** A size given as a parameter, checked against the file: a window must fit in it. */
    int windowOf(String name, String value) {
        int window = Sizes.parseInt(name, value);
        if (window > size) {
            throw new IllegalArgumentException("-p " + name + "=" + value + " is larger than the file (-p fileSize="
                    + fileSize + "); raise fileSize or lower " + name);
        }
        return window;
    }

    /**
     * Fails unless every window of the library is unmapped (waiting a little for releases on background threads, as
     * populate-ahead's): a benchmark that leaks windows must not report a number.
     */
    static void assertNoLiveWindows(String benchmark) throws InterruptedException {
        long deadline = System.nanoTime() + RELEASE_GRACE.toNanos();
        MappingStats s = MappingStats.snapshot();
        while ((s.liveWindows() != 0 || s.mappedBytes() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = MappingStats.snapshot();
        }
        if (s.liveWindows() != 0 || s.mappedBytes() != 0) {
            throw new IllegalStateException(benchmark + " left windows mapped after the trial: " + s);
        }
    }
}
