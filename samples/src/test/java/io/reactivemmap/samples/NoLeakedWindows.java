package io.reactivemmap.samples;

import io.reactivemmap.MappingStats;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A small copy of the core's test extension (whose test classes this module does not see): zero live windows and
 * mapped bytes before and after each test, waiting a little for releases on background threads.
 */
public final class NoLeakedWindows implements BeforeEachCallback, AfterEachCallback {
    @Override
    public void beforeEach(ExtensionContext context) {
        MappingStats s = MappingStats.snapshot();
        assertEquals(0, s.liveWindows(), () -> "windows leaked by an earlier test are still mapped: " + s);
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        MappingStats s = MappingStats.snapshot();
        while ((s.liveWindows() != 0 || s.mappedBytes() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = MappingStats.snapshot();
        }
        assertEquals(0, s.liveWindows(), "live windows after the test: " + s);
        assertEquals(0, s.mappedBytes(), "mapped bytes after the test: " + s);
    }
}
