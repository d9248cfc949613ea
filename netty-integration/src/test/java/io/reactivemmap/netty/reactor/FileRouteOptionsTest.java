package io.reactivemmap.netty.reactor;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileRouteOptionsTest {
    @TempDir
    Path dir;

    @Test
    void prefixesAreParsedLikeRequestPaths() {
        assertEquals(List.of(), FileRouteOptions.prefixSegments(""));
        assertEquals(List.of("files"), FileRouteOptions.prefixSegments("/files/"));
        assertEquals(List.of("a", "b c"), FileRouteOptions.prefixSegments("/a//b%20c"));
    }

    @Test
    void badOptionsAreRefusedWithTheValueAndWhatToChange() {
        FileRouteOptions ok = FileRouteOptions.defaults(dir);
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class, () -> ok.withPrefix("files"));
        assertTrue(relative.getMessage().contains("\"files\""), relative.getMessage());
        IllegalArgumentException dots = assertThrows(IllegalArgumentException.class, () -> ok.withPrefix("/a/../b"));
        assertTrue(dots.getMessage().contains("'..'"), dots.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ok.withPrefix("/files?x=1"));
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class, () -> ok.withWindowSize(100));
        assertTrue(window.getMessage().contains("got 100"), window.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ok.withMaxBytesInFlight(0));
        assertThrows(NullPointerException.class, () -> ok.withBodyMode(null));
        assertThrows(NullPointerException.class, () -> FileRouteOptions.defaults(null));
    }

    @Test
    void theRootMustBeAnExistingDirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("f.txt"), "x");
        assertThrows(NotDirectoryException.class, () -> FileRoute.of(file));
        assertThrows(NoSuchFileException.class, () -> FileRoute.of(dir.resolve("missing")));
        assertEquals(dir.toRealPath(), FileRoute.of(dir).root().path());
    }

    @Test
    void theInFlightBudgetBecomesTheWindowSourcesLiveByteBound() {
        FileRouteOptions options = FileRouteOptions.defaults(dir).withWindowSize(1 << 20).withMaxBytesInFlight(1);
        assertEquals(1, options.mapOptions().maxLiveBytes());
        assertEquals(1 << 20, options.mapOptions().windowSize());
    }
}
