package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Smoke tests: the checksums equal MessageDigest, java.util.zip.CRC32C and (when installed) sha256sum. */
@ExtendWith(NoLeakedWindows.class)
@Timeout(60)
class ParallelChecksumMainTest {
    @TempDir
    Path dir;

    private static String sha256Of(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static long crc32cOf(byte[] bytes, int from, int to) {
        CRC32C c = new CRC32C();
        c.update(bytes, from, to - from);
        return c.getValue();
    }

    @Test
    void combineJoinsCrcsOfRandomSplitsIntoTheCrcOfTheWhole() {
        Random random = new Random(11);
        for (int round = 0; round < 300; round++) {
            byte[] bytes = new byte[random.nextInt(3000)];
            random.nextBytes(bytes);
            int cut = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
            long combined = Crc32cCombine.combine(crc32cOf(bytes, 0, cut), crc32cOf(bytes, cut, bytes.length), bytes.length - cut);
            assertEquals(crc32cOf(bytes, 0, bytes.length), combined, "round " + round + ", cut " + cut);
        }
        assertThrows(IllegalArgumentException.class, () -> Crc32cCombine.combine(0, 0, -1));
    }

    @Test
    void runPrintsSha256AndCrc32cEqualToIndependentReferencesAndSha256sum() throws Exception {
        Path file = dir.resolve("data.bin");
        DemoFiles.writeRandom(file, 5_000_011, 1234); // many windows of 64 KiB, the last one short
        byte[] bytes = Files.readAllBytes(file);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ParallelChecksumMain.run(new String[] {file.toString(), "--window-size", "64k", "--parallelism", "3", "--verify"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, stdout + err);

        Matcher sha = Pattern.compile("(?m)^sha256 ([0-9a-f]{64})  (.+)$").matcher(stdout);
        assertTrue(sha.find(), stdout);
        assertEquals(sha256Of(bytes), sha.group(1));
        assertEquals(file.toString(), sha.group(2));
        Matcher crc = Pattern.compile("(?m)^crc32c ([0-9a-f]{8})  (.+)$").matcher(stdout);
        assertTrue(crc.find(), stdout);
        assertEquals(String.format("%08x", crc32cOf(bytes, 0, bytes.length)), crc.group(1));

        Optional<String> tool = ParallelChecksumMain.sha256sum(file);
        if (tool.isPresent()) {
            assertEquals(tool.get(), sha.group(1), "sha256sum agrees");
            assertTrue(stdout.contains("verified sha256 equals sha256sum"), stdout);
        }
        assertTrue(stdout.contains("verified crc32c equals"), stdout);
    }

    @Test
    void crc32cIsTheSameForEveryWindowSizeAndParallelismIncludingEmptyFiles() throws Exception {
        Path file = dir.resolve("small.bin");
        DemoFiles.writeRandom(file, 100_003, 99);
        byte[] bytes = Files.readAllBytes(file);
        long expected = crc32cOf(bytes, 0, bytes.length);
        for (long windowSize : new long[] {1000, 4096, 33_333, 1 << 20}) {
            for (int parallelism : new int[] {1, 2, 4}) {
                assertEquals(expected, ParallelChecksumMain.crc32c(file, MapOptions.defaults().withWindowSize(windowSize),
                        parallelism, n -> { }), "window " + windowSize + ", parallelism " + parallelism);
            }
        }
        Path empty = Files.createFile(dir.resolve("empty.bin"));
        assertEquals(0L, ParallelChecksumMain.crc32c(empty, MapOptions.defaults(), 2, n -> { }));
        assertEquals(sha256Of(new byte[0]), ParallelChecksumMain.sha256(empty, MapOptions.defaults(), n -> { }));
    }

    @Test
    void aFailureOnOneRailStopsTheRunAndLeavesNoWindowMapped() throws Exception {
        Path file = dir.resolve("fail.bin");
        DemoFiles.writeRandom(file, 2_000_000, 5);
        AtomicInteger windows = new AtomicInteger();
        RuntimeException e = assertThrows(RuntimeException.class, () -> ParallelChecksumMain.crc32c(file,
                MapOptions.defaults().withWindowSize(16 << 10), 2, n -> {
                    if (windows.incrementAndGet() == 5) {
                        throw new IllegalStateException("rail failed");
                    }
                }));
        assertEquals("rail failed", reactor.core.Exceptions.unwrap(e).getMessage());
        // NoLeakedWindows then checks that the windows queued for the rails were closed too.
    }
}
