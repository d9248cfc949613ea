package io.reactivemmap.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import io.reactivemmap.MappingBudget;
import io.reactivemmap.NoLeakedWindows;
import io.reactivemmap.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The meters follow the counters: they move as windows are mapped and closed, and as a truncation is reported. */
@ExtendWith(NoLeakedWindows.class)
class MappingMetersTest {
    private static final int WINDOW = 64 << 10;

    @TempDir
    Path dir;

    private static double gauge(SimpleMeterRegistry r, String name, String... tags) {
        Gauge g = r.find(name).tags(tags).gauge();
        assertTrue(g != null, "no gauge " + name);
        return g.value();
    }

    private static double counter(SimpleMeterRegistry r, String name) {
        FunctionCounter c = r.find(name).tag("app", "test").functionCounter();
        assertTrue(c != null, "no counter " + name);
        return c.count();
    }

    @Test
    void gaugesAndCountersMoveAsWindowsAreMappedAndClosed() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * WINDOW);
        MappingBudget budget = MappingBudget.of(16, 16L * WINDOW);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new MappingMeters(Tags.of("app", "test")).withBudget("files", budget).bindTo(registry);

        double liveBefore = gauge(registry, "reactivemmap.windows.live");
        double mappedBefore = counter(registry, "reactivemmap.windows.mapped");
        double unmappedBefore = counter(registry, "reactivemmap.windows.unmapped");
        List<MappedWindow> held = new ArrayList<>(MappedFile.windows(file,
                MapOptions.defaults().withWindowSize(WINDOW).withReadAhead(0).withBudget(budget)).take(2).collectList().block());
        try {
            assertEquals(liveBefore + 2, gauge(registry, "reactivemmap.windows.live"));
            assertTrue(gauge(registry, "reactivemmap.mapped") >= 2 * WINDOW);
            assertTrue(gauge(registry, "reactivemmap.mapped.peak") >= gauge(registry, "reactivemmap.mapped"));
            assertEquals(2, gauge(registry, "reactivemmap.budget.windows", "budget", "files", "app", "test"));
            assertEquals(16, gauge(registry, "reactivemmap.budget.max.windows", "budget", "files"));
            assertEquals(16.0 * WINDOW, gauge(registry, "reactivemmap.budget.max.bytes", "budget", "files"));
            assertTrue(counter(registry, "reactivemmap.windows.mapped") >= mappedBefore + 2);
        } finally {
            held.forEach(MappedWindow::close);
        }
        assertEquals(liveBefore, gauge(registry, "reactivemmap.windows.live"));
        assertEquals(0, gauge(registry, "reactivemmap.budget.windows", "budget", "files"));
        assertEquals(0, gauge(registry, "reactivemmap.budget.bytes", "budget", "files"));
        assertTrue(counter(registry, "reactivemmap.windows.unmapped") >= unmappedBefore + 2);
        assertEquals("bytes", registry.find("reactivemmap.mapped").gauge().getId().getBaseUnit());
    }

    @Test
    void aTruncationWhileStreamingIsCounted() throws Exception {
        Path file = TestFiles.pattern(dir, "t.bin", 4L * WINDOW);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new MappingMeters(Tags.of("app", "test")).bindTo(registry);
        double before = counter(registry, "reactivemmap.truncations");
        StepVerifier.create(MappedFile.windows(file, MapOptions.defaults().withWindowSize(WINDOW).withReadAhead(0)), 1)
                .assertNext(w -> {
                    w.close();
                    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                        raf.setLength(WINDOW);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                })
                .thenRequest(10)
                .expectError(FileTruncatedException.class)
                .verify();
        assertTrue(counter(registry, "reactivemmap.truncations") >= before + 1);
    }

    @Test
    void budgetsNeedDistinctNonBlankNames() {
        MappingMeters meters = new MappingMeters().withBudget("a", MappingBudget.of(1, 1 << 20));
        assertThrows(IllegalArgumentException.class, () -> meters.withBudget("a", MappingBudget.of(1, 1 << 20)));
        assertThrows(IllegalArgumentException.class, () -> meters.withBudget(" ", MappingBudget.of(1, 1 << 20)));
    }
}
