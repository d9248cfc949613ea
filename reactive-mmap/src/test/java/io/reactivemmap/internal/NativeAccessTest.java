package io.reactivemmap.internal;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The descriptor calls servers use: openat2 without symbolic links, statx, pread and close. */
class NativeAccessTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void theCallsAreBoundHere() {
        // Surefire enables native access and CI runs on Linux >= 5.6: skipping here would hide a binding failure.
        assertTrue(NativeAccess.openNoSymlinksAvailable(), () -> "openat2/statx/pread not bound: "
                + NativeAccess.unavailableReason().orElse("(a kernel or seccomp refusal)"));
    }

    @Test
    void preadReadsAtAPositionUntilTheEndOfTheFileAndThenReturnsZero() throws Exception {
        byte[] content = new byte[10_000];
        new Random(3).nextBytes(content);
        Path file = Files.write(dir.resolve("data.bin"), content);
        int fd = NativeAccess.openNoSymlinks(file.toRealPath().toString());
        assertTrue(fd >= 0, "openat2 failed: errno " + -fd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(8192);
            assertEquals(4000, NativeAccess.pread(fd, buf.address(), 4000, 6000), "a read past the end is short");
            byte[] got = buf.asSlice(0, 4000).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            assertArrayEquals(java.util.Arrays.copyOfRange(content, 6000, 10_000), got);
            assertEquals(0, NativeAccess.pread(fd, buf.address(), 100, 10_000), "at the end: 0, not an error");
            assertEquals(10_000, NativeAccess.fstat(fd).size());
        } finally {
            NativeAccess.closeFd(fd);
        }
    }

    @Test
    void readsFromAClosedDescriptorAreAnErrnoAndBadArgumentsAreRefused() throws Exception {
        Path file = Files.write(dir.resolve("x.bin"), new byte[16]);
        int fd = NativeAccess.openNoSymlinks(file.toRealPath().toString());
        NativeAccess.closeFd(fd);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            assertEquals(-9, NativeAccess.pread(fd, buf.address(), 16, 0), "EBADF");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NativeAccess.pread(3, buf.address(), 16, -1));
            assertTrue(e.getMessage().contains("position=-1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> NativeAccess.pread(3, 0, 16, 0));
        }
        assertEquals(-9, NativeAccess.sendfile(fd, fd, 0, 16), "sendfile from a closed descriptor: EBADF");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NativeAccess.sendfile(-1, 3, 0, 1));
        assertTrue(e.getMessage().contains("socket=-1"), e.getMessage());
    }

    @Test
    void aSymbolicLinkOnThePathIsRefusedByTheKernel() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real"));
        Files.write(real.resolve("f"), new byte[1]);
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        assertEquals(-NativeAccess.ELOOP, NativeAccess.openNoSymlinks(dir.toRealPath().resolve("link/f").toString()));
        assertEquals(-NativeAccess.ENOENT, NativeAccess.openNoSymlinks(dir.toRealPath().resolve("missing").toString()));
        assertTrue(Files.isSymbolicLink(link));
    }
}
