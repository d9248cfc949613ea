package io.reactivemmap.netty.spring;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class MappedDataBuffersTest {
    private static final int WINDOW = 1 << 20;
    private static final MapOptions OPTIONS = MapOptions.defaults().withWindowSize(WINDOW).withMaxLiveBytes(4L * WINDOW);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private static DataBufferFactory netty() {
        return new NettyDataBufferFactory(UnpooledByteBufAllocator.DEFAULT);
    }

    @Test
    void onNettyEachWindowIsOneZeroCopyBufferWhoseReleaseUnmapsIt() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 3L * WINDOW + 123);
        StepVerifier.create(MappedDataBuffers.read(file, OPTIONS, netty()), 0)
                .thenRequest(1)
                .assertNext(b -> {
                    assertTrue(b instanceof NettyDataBuffer, b.getClass().getName());
                    ByteBuf native_ = ((NettyDataBuffer) b).getNativeBuffer();
                    // the MappedByteBuf: read-only, direct, exposes the mapping's address (no copy anywhere)
                    assertEquals("MappedByteBuf", native_.getClass().getSimpleName());
                    assertTrue(native_.isReadOnly() && native_.hasMemoryAddress());
                    assertEquals(WINDOW, b.readableByteCount());
                    assertBytes(b, 0);
                    assertTrue(MappingStats.snapshot().liveWindows() >= 1);
                    long before = MappingStats.snapshot().windowsUnmapped();
                    assertTrue(DataBufferUtils.release(b));
                    assertEquals(before + 1, MappingStats.snapshot().windowsUnmapped(), "release unmapped the window");
                })
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void onNettyTheBuffersCarryTheRangeByteExact() throws Exception {
        long size = 3L * WINDOW + 123;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        long offset = WINDOW - 17;
        long length = 2L * WINDOW + 40;
        assertEquals(length, collect(MappedDataBuffers.read(file, offset, length, OPTIONS, netty()), offset));
    }

    @Test
    void withOtherFactoriesTheWindowsAreCopiedInBoundedBuffersByteExact() throws Exception {
        long size = 2L * WINDOW + 5;
        Path file = TestFiles.pattern(dir, "f.bin", size);
        List<Integer> sizes = new ArrayList<>();
        long n = collect(MappedDataBuffers.read(file, 3, size - 3, OPTIONS, DefaultDataBufferFactory.sharedInstance)
                .doOnNext(b -> sizes.add(b.readableByteCount())), 3);
        assertEquals(size - 3, n);
        assertTrue(sizes.stream().allMatch(s -> s <= MappedDataBuffers.COPY_BUFFER_SIZE), sizes.toString());
        assertFalse(MappedDataBuffers.isZeroCopy(DefaultDataBufferFactory.sharedInstance));
        assertTrue(MappedDataBuffers.isZeroCopy(netty()));
    }

    @Test
    void copyPathClosesEachWindowOnceItIsCopied() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 3L * WINDOW);
        List<DataBuffer> held = new ArrayList<>();
        // Hold every buffer: on the copy path that must not keep any window mapped.
        StepVerifier.create(MappedDataBuffers.read(file, MapOptions.defaults().withWindowSize(WINDOW).withReadAhead(0),
                        DefaultDataBufferFactory.sharedInstance))
                .recordWith(() -> held)
                .thenConsumeWhile(b -> true)
                .verifyComplete();
        assertEquals(0, MappingStats.snapshot().liveWindows(), "copies outlive no window");
        held.forEach(DataBufferUtils::release);
    }

    @Test
    void cancellingMidStreamUnmapsEverythingOnBothPaths() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 8L * WINDOW);
        for (DataBufferFactory f : List.of(netty(), DefaultDataBufferFactory.sharedInstance)) {
            StepVerifier.create(MappedDataBuffers.read(file, OPTIONS, f), 0)
                    .thenRequest(2)
                    .consumeNextWith(DataBufferUtils::release)
                    .consumeNextWith(DataBufferUtils::release)
                    .thenCancel()
                    .verify(TIMEOUT);
            NoLeakedWindows.assertNothingMapped();
        }
    }

    @Test
    void windowsDroppedUpstreamAreClosed() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 4L * WINDOW);
        for (DataBufferFactory f : List.of(netty(), DefaultDataBufferFactory.sharedInstance)) {
            long n = collect(MappedDataBuffers.dataBuffers(
                    MappedFile.windows(file, OPTIONS).filter(w -> w.offset() % (2L * WINDOW) == 0), f), -1);
            assertEquals(2L * WINDOW, n);
            NoLeakedWindows.assertNothingMapped();
        }
    }

    @Test
    void aMissingFileIsAnErrorSignal() {
        for (DataBufferFactory f : List.of(netty(), DefaultDataBufferFactory.sharedInstance)) {
            StepVerifier.create(MappedDataBuffers.read(dir.resolve("absent"), OPTIONS, f))
                    .expectError(NoSuchFileException.class)
                    .verify(TIMEOUT);
        }
    }

    @Test
    void copyPathFailsInsteadOfSendingZerosWhenTheFileShrinksInItsLastPage() throws Exception {
        // Truncating to a size inside the last page keeps that page mapped: reads past the new end return zeros
        // without a fault, which the check after each copy must catch.
        Path file = TestFiles.pattern(dir, "f.bin", WINDOW);
        StepVerifier.create(MappedDataBuffers.read(file, MapOptions.defaults().withWindowSize(WINDOW),
                        DefaultDataBufferFactory.sharedInstance), 0)
                .thenRequest(1)
                .consumeNextWith(DataBufferUtils::release)
                .then(() -> {
                    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        ch.truncate(WINDOW - 100);
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                })
                .thenRequest(Long.MAX_VALUE)
                .thenConsumeWhile(b -> {
                    DataBufferUtils.release(b);
                    return true;
                })
                .expectError(FileTruncatedException.class)
                .verify(TIMEOUT);
    }

    @Test
    void responseBodyMapsNothingForTheFirstBufferWebFluxCaches() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 2L * WINDOW);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        StepVerifier.create(MappedDataBuffers.responseBody(MappedDataBuffers.read(file, OPTIONS, netty()), netty()), 1)
                .assertNext(b -> assertEquals(0, b.readableByteCount()))
                .then(() -> assertEquals(mappedBefore, MappingStats.snapshot().windowsMapped(),
                        "no window is mapped for the first buffer"))
                .thenRequest(2)
                .consumeNextWith(DataBufferUtils::release)
                .consumeNextWith(DataBufferUtils::release)
                .verifyComplete();
        assertEquals(mappedBefore + 2, MappingStats.snapshot().windowsMapped());
    }

    @Test
    void nullArgumentsAreRejectedAtTheBoundary() {
        org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                () -> MappedDataBuffers.read(dir, OPTIONS, null));
        org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                () -> MappedDataBuffers.dataBuffers(null, netty()));
    }

    /** Collects, checks every byte against the pattern from {@code offset} (unless -1), releases; returns the count. */
    private static long collect(Flux<DataBuffer> buffers, long offset) {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        List<DataBuffer> all = buffers.doOnNext(b -> {
            byte[] bytes = new byte[b.readableByteCount()];
            b.read(bytes);
            seen.writeBytes(bytes);
            DataBufferUtils.release(b);
        }).collectList().block(TIMEOUT);
        assertTrue(all != null && !all.isEmpty());
        byte[] bytes = seen.toByteArray();
        if (offset >= 0) {
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] != TestFiles.byteAt(offset + i)) {
                    throw new AssertionError("byte " + (offset + i) + " differs");
                }
            }
        }
        return bytes.length;
    }

    private static void assertBytes(DataBuffer b, long offset) {
        for (int i = 0; i < b.readableByteCount(); i += 4093) {
            assertEquals(TestFiles.byteAt(offset + i), b.getByte(b.readPosition() + i), "byte " + (offset + i));
        }
    }
}
