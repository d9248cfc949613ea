package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCounted;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappedWindow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class MappedByteBufTest {
    private static final MapOptions SMALL = MapOptions.defaults().withWindowSize(64 * 1024 + 3);

    @TempDir
    Path dir;

    private static MappedWindow first(Path file, MapOptions options) {
        return MappedFile.windows(file, options).take(1).blockFirst();
    }

    @Test
    void wrappedBufferReadsTheWindowsBytesExactly() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 200_000);
        MappedWindow w = MappedFile.windows(file, 70_000, 65_000, SMALL).take(1).blockFirst();
        ByteBuf buf = MappedByteBufs.wrap(w);
        try {
            byte[] want = TestFiles.expected(70_000, 65_000);
            assertEquals(65_000, buf.readableBytes());
            assertEquals(65_000, buf.capacity());
            assertEquals(65_000, buf.maxCapacity());
            for (int i = 0; i < want.length; i += 997) {
                assertEquals(want[i], buf.getByte(i), "byte " + i);
            }
            ByteBuffer ref = ByteBuffer.wrap(want);
            for (int i : new int[] {0, 1, 3, 4095, 4097, 64_990}) {
                assertEquals(ref.getShort(i), buf.getShort(i));
                assertEquals(ref.order(ByteOrder.LITTLE_ENDIAN).getShort(i), buf.getShortLE(i));
                ref.order(ByteOrder.BIG_ENDIAN);
                assertEquals(ref.getInt(i) >>> 8, buf.getUnsignedMedium(i));
                assertEquals(ref.getInt(i), buf.getInt(i));
                assertEquals(Integer.reverseBytes(ref.getInt(i)), buf.getIntLE(i));
                assertEquals(ref.getLong(i - (i > 64_992 ? 8 : 0)), buf.getLong(i - (i > 64_992 ? 8 : 0)));
                assertEquals(Long.reverseBytes(ref.getLong(i)), buf.getLongLE(i));
                assertEquals(((want[i] & 0xff) | (want[i + 1] & 0xff) << 8 | (want[i + 2] & 0xff) << 16), buf.getUnsignedMediumLE(i));
            }
            byte[] all = new byte[want.length];
            buf.getBytes(0, all);
            assertArrayEquals(want, all);

            // Into heap, direct and pooled buffers (the last two copy through the raw address on unsafe platforms).
            ByteBuf heap = Unpooled.buffer(want.length);
            ByteBuf direct = Unpooled.directBuffer(want.length);
            ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(want.length);
            try {
                heap.writeBytes(buf, 0, want.length);
                direct.writeBytes(buf, 0, want.length);
                pooled.writeBytes(buf.duplicate());
                ByteBuf viaGet = Unpooled.directBuffer(want.length);
                buf.getBytes(0, viaGet, 0, want.length);
                viaGet.writerIndex(want.length);
                for (ByteBuf b : List.of(heap, direct, pooled, viaGet)) {
                    byte[] got = new byte[want.length];
                    b.getBytes(0, got);
                    assertArrayEquals(want, got, b.toString());
                }
                viaGet.release();
            } finally {
                heap.release();
                direct.release();
                pooled.release();
            }

            ByteArrayOutputStream out = new ByteArrayOutputStream();
            buf.getBytes(5, out, 64_000);
            assertArrayEquals(java.util.Arrays.copyOfRange(want, 5, 64_005), out.toByteArray());

            Path copy = dir.resolve("copy");
            try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                int n = 0;
                while (n < 1000) {
                    n += buf.getBytes(n, ch, 10_000 + n, 1000 - n); // FileChannel at a position
                }
                ByteBuf reader = buf.duplicate();
                while (reader.isReadable()) {
                    reader.readBytes(ch, reader.readableBytes()); // GatheringByteChannel at the channel position
                }
            }
            byte[] written = Files.readAllBytes(copy);
            assertArrayEquals(want, java.util.Arrays.copyOfRange(written, 0, want.length));

            ByteBuf copied = buf.copy(100, 500);
            try {
                byte[] c = new byte[500];
                copied.getBytes(0, c);
                assertArrayEquals(java.util.Arrays.copyOfRange(want, 100, 600), c);
            } finally {
                copied.release();
            }

            ByteBuffer nio = buf.nioBuffer(10, 20);
            assertTrue(nio.isReadOnly());
            assertTrue(nio.isDirect());
            assertEquals(20, nio.remaining());
            assertEquals(want[10], nio.get(0));
            assertEquals(1, buf.nioBufferCount());
            assertEquals(1, buf.nioBuffers().length);
        } finally {
            buf.release();
        }
        assertFalse(w.isOpen(), "the final release closes the window");
    }

    @Test
    void bufferIsReadOnlyDirectWithFixedCapacityAndExposesTheWindowsAddress() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 10_000);
        MappedWindow w = first(file, SMALL);
        ByteBuf buf = MappedByteBufs.wrap(w);
        try {
            assertTrue(buf.isReadOnly());
            assertTrue(buf.isDirect());
            assertFalse(buf.hasArray());
            assertTrue(buf.hasMemoryAddress());
            assertEquals(w.segment().address(), buf.memoryAddress());
            assertEquals(w.segment().address() + 7, buf.slice(7, 10).memoryAddress());
            assertTrue(buf.slice(7, 10).isReadOnly());
            assertTrue(buf.duplicate().isReadOnly());
            assertThrows(ReadOnlyBufferException.class, () -> buf.setByte(0, 1));
            assertThrows(ReadOnlyBufferException.class, () -> buf.setLong(0, 1));
            assertThrows(ReadOnlyBufferException.class, () -> buf.setBytes(0, new byte[4]));
            assertThrows(ReadOnlyBufferException.class, () -> buf.slice(0, 8).setInt(0, 1));
            assertThrows(ReadOnlyBufferException.class, () -> buf.capacity(20_000));
            assertThrows(IndexOutOfBoundsException.class, () -> buf.writeByte(1));
            assertThrows(ReadOnlyBufferException.class, () -> buf.nioBuffer().put((byte) 1));
            assertTrue(buf.toString().contains("MappedByteBuf"));
        } finally {
            buf.release();
        }
    }

    @Test
    void slicesAndDuplicatesShareTheCountAndTheLastReleaseUnmaps() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 10_000);
        MappedWindow w = first(file, SMALL);
        ByteBuf buf = MappedByteBufs.wrap(w);
        ByteBuf slice = buf.retainedSlice(100, 50);
        ByteBuf dup = buf.retainedDuplicate();
        assertEquals(3, buf.refCnt());
        assertEquals(3, slice.refCnt());
        assertEquals(1, w.refCnt(), "the buffer holds one window reference, whatever its own count");

        assertEquals(TestFiles.byteAt(100), slice.getByte(0));
        assertEquals(TestFiles.byteAt(149), slice.getByte(49));
        assertEquals(TestFiles.byteAt(9_999), dup.getByte(9_999));

        assertFalse(buf.release());
        assertTrue(w.isOpen(), "slices still reference it");
        assertFalse(dup.release());
        assertTrue(w.isOpen());
        assertEquals(TestFiles.byteAt(120), slice.getByte(20));
        assertTrue(slice.release());
        assertFalse(w.isOpen(), "the last release unmaps");
        assertThrows(IllegalReferenceCountException.class, () -> buf.getByte(0));
        assertThrows(IllegalReferenceCountException.class, () -> slice.getByte(0));
        assertThrows(IllegalReferenceCountException.class, buf::memoryAddress);
        assertThrows(IllegalReferenceCountException.class, buf::release);
    }

    @Test
    void wrappingAnUnmappedWindowIsRefused() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 1000);
        MappedWindow w = first(file, SMALL);
        w.close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MappedByteBufs.wrap(w));
        assertTrue(e.getMessage().contains("already unmapped"), e.getMessage());
        assertThrows(NullPointerException.class, () -> MappedByteBufs.wrap(null));
        assertThrows(NullPointerException.class, () -> MappedByteBufs.byteBufs(null));
    }

    /** Proves the leak check of this module's tests works: a lost mapped buffer is reported by Netty's detector. */
    @Test
    void leakedBufferIsReportedByNettysLeakDetector() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 1000);
        MappedWindow w = first(file, SMALL);
        String hint = "touched-before-leaking-" + System.nanoTime();
        leak(w, hint);
        // The collection and the reference handler run when they run: on a loaded machine one collectLeaks() pass
        // (3 GCs, 60 ms) can come too early and the report then shows up in afterEach instead. Poll for it.
        List<String> leaks = new ArrayList<>(NettyLeakCheck.collectLeaks());
        for (long deadline = System.nanoTime() + 5_000_000_000L; leaks.isEmpty() && System.nanoTime() < deadline; ) {
            leaks.addAll(NettyLeakCheck.collectLeaks());
        }
        try {
            assertEquals(1, leaks.size(), () -> "expected one leak report, got " + leaks);
            assertTrue(leaks.getFirst().contains("LEAK: MappedByteBuf.release() was not called"), leaks.getFirst());
            assertTrue(leaks.getFirst().contains(hint), "the touch() hint is among the records: " + leaks.getFirst());
            assertTrue(w.isOpen(), "a leaked buffer never closes its window: this is what the report is for");
        } finally {
            w.close();
        }
    }

    private static void leak(MappedWindow w, String hint) {
        ByteBuf buf = MappedByteBufs.wrap(w);
        buf.touch(hint);
        buf.getByte(0);
        // dropped without release()
    }

    @Test
    void byteBufsCarriesTheWholeFileInOrder() throws Exception {
        int size = 5 * (64 * 1024 + 3) + 17;
        Path file = TestFiles.pattern(dir, "f", size);
        AtomicLong position = new AtomicLong();
        java.util.function.Consumer<ByteBuf> check = b -> {
            try {
                byte[] got = new byte[b.readableBytes()];
                b.readBytes(got);
                assertArrayEquals(TestFiles.expected(position.get(), got.length), got);
                position.addAndGet(got.length);
            } finally {
                b.release();
            }
        };
        StepVerifier.create(MappedByteBufs.byteBufs(MappedFile.windows(file, SMALL)), 0)
                .thenRequest(2)
                .consumeNextWith(check)
                .consumeNextWith(check)
                .expectNoEvent(Duration.ofMillis(20))
                .thenRequest(Long.MAX_VALUE)
                .thenConsumeWhile(b -> {
                    check.accept(b);
                    return true;
                })
                .expectComplete()
                .verify(Duration.ofSeconds(10));
        assertEquals(size, position.get());
    }

    @Test
    void windowsDroppedUpstreamOfTheWrappingAreClosed() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 6 * (64 * 1024 + 3));
        List<ByteBuf> kept = MappedByteBufs.byteBufs(MappedFile.windows(file, SMALL).filter(w -> w.offset() % 2 == 0))
                .collectList().block(Duration.ofSeconds(10));
        assertEquals(3, kept.size());
        kept.forEach(ReferenceCounted::release);
    }

    @Test
    void buffersQueuedDownstreamAreReleasedOnCancelWithTheDocumentedDiscardHook() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 8 * (64 * 1024 + 3));
        StepVerifier.create(MappedByteBufs.byteBufs(MappedFile.windows(file, SMALL.withMaxLiveBytes(1 << 20)))
                        .publishOn(Schedulers.parallel(), 4)
                        .doOnDiscard(ByteBuf.class, ReferenceCounted::release), 1)
                .consumeNextWith(ReferenceCounted::release)
                .thenAwait(Duration.ofMillis(50))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aSourceErrorReachesTheSubscriberAndLeavesNothingMapped() {
        StepVerifier.create(MappedByteBufs.byteBufs(MappedFile.windows(dir.resolve("missing"))))
                .expectError(java.nio.file.NoSuchFileException.class)
                .verify(Duration.ofSeconds(10));
        StepVerifier.create(MappedByteBufs.byteBufs(Flux.error(new IllegalStateException("boom"))))
                .expectErrorMessage("boom")
                .verify(Duration.ofSeconds(10));
    }
}
