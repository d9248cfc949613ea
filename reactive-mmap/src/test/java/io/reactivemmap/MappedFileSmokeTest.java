package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.test.StepVerifier;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(NoLeakedWindows.class)
class MappedFileSmokeTest {
    @TempDir
    Path dir;

    @Test
    void readVisitsEveryByteOnceInOrder() throws Exception {
        long size = 3 * 4096 + 123;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        MapOptions options = MapOptions.defaults().withWindowSize(4096);
        StepVerifier.create(MappedFile.read(file, options, w -> {
                    for (int i = 0; i < w.length(); i++) {
                        assertEquals(TestFiles.byteAt(w.offset() + i), w.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
                    }
                    return w.length();
                }))
                .expectNext(4096, 4096, 4096, 123)
                .verifyComplete();
    }
}
