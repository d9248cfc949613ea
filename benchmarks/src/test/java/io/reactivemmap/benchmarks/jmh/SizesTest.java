package io.reactivemmap.benchmarks.jmh;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SizesTest {
    @Test
    void readsBytesAndBinaryUnits() {
        assertEquals(4096, Sizes.parse("window", "4096"));
        assertEquals(64 << 10, Sizes.parse("window", "64KiB"));
        assertEquals(16 << 20, Sizes.parse("window", "16MiB"));
        assertEquals(4L << 30, Sizes.parse("fileSize", "4GiB"));
    }

    @Test
    void aBadSizeIsRefusedNamingTheParameterAndTheValue() {
        for (String bad : new String[] {"", "16MB", "-1", "0", "1.5MiB", "lots"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parse("window", bad));
            assertTrue(e.getMessage().contains("-p window=" + bad + " "), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sizes.parseInt("window", "2GiB"));
        assertTrue(e.getMessage().contains("-p window=2GiB"), e.getMessage());
    }
}
