package io.reactivemmap.benchmarks.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PeerOptionsTest {

    @Test
    void resolvesRegularFilesUnderTheRootAndNothingElse(@TempDir Path dir) throws IOException {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("small"));
        Path file = Files.writeString(root.resolve("small/f 1.bin"), "x");
        Files.writeString(dir.resolve("secret"), "s");
        Files.createSymbolicLink(root.resolve("link"), dir.resolve("secret"));
        PeerOptions options = PeerOptions.parse("test", new String[] {"--root", root.toString(), "--port", "8080"});

        assertEquals(Optional.of(file), options.resolve("/small/f%201.bin?x=1"));
        for (String bad : new String[] {"/../secret", "/small/../../secret", "/%2e%2e/secret", "/small", "/link",
                "/small\\..\\..\\secret", "/nul%00", "relative", "/%zz"}) {
            assertTrue(options.resolve(bad).isEmpty(), bad);
        }
    }

    @Test
    void tlsWithoutCertificateFilesIsRefusedNamingTheFlags(@TempDir Path dir) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeerOptions.parse("X", new String[] {"--root", dir.toString(), "--port", "1", "--tls"}));
        assertTrue(e.getMessage().contains("--cert"), e.getMessage());
    }
}
