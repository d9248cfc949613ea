package io.reactivemmap.netty.http;

import io.reactivemmap.MappingStats;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

// Copy of the core module's test utility (this module has no test-jar dependency on it yet).
/**
 * Fails a test that leaves a window mapped: after each test the process-wide live-window and mapped-byte gauges
 * must be back to zero (waiting briefly for releases that run on background threads), and /proc/self/maps must
 * show no mapping of a file under the test's temporary folders.
 */
public final class NoLeakedWindows implements BeforeEachCallback, AfterEachCallback {
    private static final Duration GRACE = Duration.ofSeconds(5);

    @Override
    public void beforeEach(ExtensionContext context) {
        MappingStats s = MappingStats.snapshot();
        assertEquals(0, s.liveWindows(), () -> "windows leaked by an earlier test are still mapped: " + s);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        assertNothingMapped();
    }

    /** Waits up to a few seconds for background releases, then asserts zero live windows and bytes. */
    public static void assertNothingMapped() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + GRACE.toNanos();
        MappingStats s = MappingStats.snapshot();
        while ((s.liveWindows() != 0 || s.mappedBytes() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = MappingStats.snapshot();
        }
        assertEquals(0, s.liveWindows(), "live windows after the test: " + s);
        assertEquals(0, s.mappedBytes(), "mapped bytes after the test: " + s);
        List<String> ours = mapsOfTestFiles();
        if (!ours.isEmpty()) {
            fail("/proc/self/maps still maps test files:\n" + String.join("\n", ours));
        }
    }

    /** Lines of /proc/self/maps that map files created by tests (they live under the JUnit temp folders). */
    public static List<String> mapsOfTestFiles() throws IOException {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return List.of();
        }
        return Files.readAllLines(maps).stream().filter(l -> l.contains("/junit") || l.contains("reactive-mmap-test")).toList();
    }
}
