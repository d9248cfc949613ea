package io.reactivemmap.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Reads Linux's {@code vm.max_map_count}, the per-process limit on mappings, when /proc shows it. */
public final class MapCount {
    private MapCount() {
    }

    public static OptionalLong maxMapCount() {
        Path p = Path.of("/proc/sys/vm/max_map_count");
        try {
            if (Files.isReadable(p)) {
                // Not Files.readString: /proc files report a size of 0, and on some kernels readString then returns
                // only the first byte ("6" of "65530"), which shrank the global budget to 16 windows.
                try (var in = Files.newInputStream(p)) {
                    return OptionalLong.of(Long.parseLong(new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim()));
                }
            }
        } catch (IOException | NumberFormatException | SecurityException ignored) {
            // fall through: no limit known
        }
        return OptionalLong.empty();
    }
}
