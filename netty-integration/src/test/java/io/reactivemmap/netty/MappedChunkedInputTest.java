package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class MappedChunkedInputTest {
    private static final int WINDOW = 100_000;
    private static final MapOptions OPTIONS = MapOptions.defaults().withWindowSize(WINDOW).withReadAhead(0);
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @TempDir
    Path dir;

    private static void assertPattern(byte[] got, long from) {
        for (int i = 0; i < got.length; i++) {
            if (got[i] != TestFiles.byteAt(from + i)) {
                throw new AssertionError("byte " + (from + i) + " differs");
            }
        }
    }

    @Test
    void chunkedWriteHandlerSendsTheRangeByteExactInZeroCopyChunks() throws Exception {
        int size = 10 * WINDOW + 77;
        Path file = TestFiles.pattern(dir, "f", size);
        EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler());
        MappedChunkedInput input = new MappedChunkedInput(file, 1000, size - 2000, OPTIONS, 30_000);
        ChannelFuture f = ch.writeAndFlush(input);
        ch.runPendingTasks();
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            assertTrue(b.readableBytes() <= 30_000);
            assertTrue(b.isReadOnly() && b.hasMemoryAddress(), "a slice of a mapped window, not a copy: " + b);
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            out.writeBytes(bytes);
            b.release();
        }
        assertEquals(size - 2000, out.size());
        assertPattern(out.toByteArray(), 1000);
        assertEquals(size - 2000, input.progress());
        assertTrue(input.isEndOfInput());
        assertFalse(ch.finish());
    }

    /**
     * The class notes' reason for not applying maxLiveBytes, measured: ChunkedWriteHandler reads no chunk while the
     * channel is unwritable, so a slow reader holds at most the high-water mark plus one chunk in queued chunks,
     * and what is mapped is the windows those chunks span, plus the window being cut and the windows read ahead.
     */
    @Test
    void aSlowReaderThroughChunkedWriteHandlerKeepsMappedBytesWithinTheHighWaterMarkBound() throws Exception {
        int size = 40 * WINDOW + 5;
        int chunk = 16 * 1024;
        long high = 64 * 1024;
        int readAhead = 1;
        Path file = TestFiles.pattern(dir, "f", size);
        SlowPeer peer = new SlowPeer(high, high / 2);
        EmbeddedChannel ch = new EmbeddedChannel(peer, new ChunkedWriteHandler());
        MappingStats.resetPeak();
        ChannelFuture f = ch.writeAndFlush(new MappedChunkedInput(file, 0, size, OPTIONS.withReadAhead(readAhead), chunk));
        ch.runPendingTasks();
        while (!f.isDone()) {
            peer.deliver(chunk); // the reader takes one chunk at a time
            ch.runPendingTasks();
        }
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertEquals(size, peer.received.size());
        assertPattern(peer.received.toByteArray(), 0);
        // Queued chunks (at most high + one chunk of bytes) span at most this many windows, plus the one being cut
        // and those read ahead; each mapping is at most a window plus a page of alignment.
        long spanned = (high + chunk + WINDOW - 1) / WINDOW + 1;
        long bound = (spanned + 1 + readAhead) * (WINDOW + 4096L);
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= bound, "peak mapped " + peak + " bytes, documented bound " + bound + " (file " + size + ")");
        assertTrue(peer.maxHeldBytes <= high + chunk, "held " + peer.maxHeldBytes + " bytes past the high-water mark");
        assertFalse(ch.finish());
    }

    @Test
    void httpChunkedInputWrapsIt() throws Exception {
        int size = 3 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler());
        ch.writeAndFlush(new HttpChunkedInput(new MappedChunkedInput(file, 0, size, OPTIONS, 64 * 1024)));
        ch.runPendingTasks();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean last = false;
        HttpContent c;
        while ((c = ch.readOutbound()) != null) {
            last = c instanceof LastHttpContent;
            byte[] bytes = new byte[c.content().readableBytes()];
            c.content().readBytes(bytes);
            out.writeBytes(bytes);
            c.release();
        }
        assertTrue(last);
        assertEquals(size, out.size());
        assertPattern(out.toByteArray(), 0);
        assertFalse(ch.finish());
    }

    @Test
    void aWindowIsUnmappedWhenItsLastChunkIsReleased() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 3 * WINDOW);
        MappedChunkedInput input = new MappedChunkedInput(file, 0, 3 * WINDOW, OPTIONS, 40_000);
        try {
            long unmappedBefore = MappingStats.snapshot().windowsUnmapped();
            List<ByteBuf> chunks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                chunks.add(input.readChunk(ALLOC)); // 40 000 + 40 000 + 20 000: the whole first window
            }
            assertEquals(List.of(40_000, 40_000, 20_000), chunks.stream().map(ByteBuf::readableBytes).toList());
            assertEquals(1, MappingStats.snapshot().liveWindows());
            chunks.get(0).release();
            chunks.get(2).release();
            assertEquals(unmappedBefore, MappingStats.snapshot().windowsUnmapped(), "one chunk still reads it");
            assertEquals(TestFiles.byteAt(50_000), chunks.get(1).getByte(10_000));
            chunks.get(1).release();
            assertEquals(unmappedBefore + 1, MappingStats.snapshot().windowsUnmapped(), "unmapped with its last chunk");
            assertEquals(0, MappingStats.snapshot().liveWindows());

            ByteBuf next = input.readChunk(ALLOC);
            assertEquals(TestFiles.byteAt(WINDOW), next.getByte(0));
            assertEquals(WINDOW + 40_000, input.progress());
            assertEquals(3 * WINDOW, input.length());
            next.release();
        } finally {
            input.close();
        }
    }

    @Test
    void closeReleasesWhatTheInputHoldsAndChunksOutliveIt() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 5 * WINDOW);
        MappedChunkedInput input = new MappedChunkedInput(file, 0, 5 * WINDOW, OPTIONS.withReadAhead(2), 30_000);
        ByteBuf chunk = input.readChunk(ALLOC);
        try {
            assertTrue(MappingStats.snapshot().liveWindows() >= 2, "the current window and read-ahead are mapped");
            input.close();
            input.close();
            // Read-ahead windows still being mapped on a background thread when the input closes are released as
            // they arrive, which on a starved machine can trail close() by a moment.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (MappingStats.snapshot().liveWindows() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, MappingStats.snapshot().liveWindows(), "only the window under the handed-out chunk remains");
            assertEquals(TestFiles.byteAt(29_999), chunk.getByte(29_999));
        } finally {
            chunk.release();
        }
        assertThrows(IllegalStateException.class, () -> input.readChunk(ALLOC));
    }

    @Test
    void endOfInputAndEmptyRange() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 1000);
        MappedChunkedInput input = new MappedChunkedInput(file, 10, 990, OPTIONS, 4096);
        assertFalse(input.isEndOfInput());
        ByteBuf only = input.readChunk(ALLOC);
        assertEquals(990, only.readableBytes());
        assertEquals(TestFiles.byteAt(10), only.getByte(0));
        only.release();
        assertTrue(input.isEndOfInput());
        assertNull(input.readChunk(ALLOC));
        input.close();

        MappedChunkedInput empty = new MappedChunkedInput(file, 1000, 0, OPTIONS, 4096);
        assertTrue(empty.isEndOfInput());
        assertNull(empty.readChunk(ALLOC));
        empty.close();
    }

    @Test
    void fileErrorsAreThrownByTheFirstRead() throws Exception {
        MappedChunkedInput missing = new MappedChunkedInput(dir.resolve("missing"), 0, 10, OPTIONS, 4096);
        assertThrows(NoSuchFileException.class, () -> missing.readChunk(ALLOC));
        missing.close();
        Path file = TestFiles.pattern(dir, "f", 1000);
        MappedChunkedInput pastEnd = new MappedChunkedInput(file, 500, 600, OPTIONS, 4096);
        assertThrows(EOFException.class, () -> pastEnd.readChunk(ALLOC));
        pastEnd.close();
        assertThrows(IllegalArgumentException.class, () -> new MappedChunkedInput(file, -1, 10, OPTIONS, 1));
        assertThrows(IllegalArgumentException.class, () -> new MappedChunkedInput(file, 0, 10, OPTIONS, 0));
    }

    @Test
    void aFileTruncatedUnderTheCurrentWindowEndsInFileTruncatedException() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 5 * WINDOW);
        MappedChunkedInput input = new MappedChunkedInput(file, 0, 5 * WINDOW, OPTIONS, 30_000);
        ByteBuf first = input.readChunk(ALLOC);
        first.release();
        truncate(file, 20_000);
        FileTruncatedException e = assertThrows(FileTruncatedException.class, () -> input.readChunk(ALLOC));
        assertEquals(20_000, e.observedSize());
        input.close();
    }

    @Test
    void aFileTruncatedBeforeTheNextWindowEndsInFileTruncatedExceptionThroughChunkedWriteHandler() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 5 * WINDOW);
        MappedChunkedInput input = new MappedChunkedInput(file, 0, 5 * WINDOW, OPTIONS, 50_000);
        ByteBuf a = input.readChunk(ALLOC);
        ByteBuf b = input.readChunk(ALLOC); // the whole first window
        a.release();
        b.release();
        truncate(file, 150_000);
        EmbeddedChannel ch = new EmbeddedChannel(new ChunkedWriteHandler());
        ChannelFuture f = ch.writeAndFlush(input);
        ch.runPendingTasks();
        assertInstanceOf(FileTruncatedException.class, f.cause());
        ch.finishAndReleaseAll();
    }

    private static void truncate(Path file, long size) throws Exception {
        try (FileChannel fc = FileChannel.open(file, StandardOpenOption.WRITE)) {
            fc.truncate(size);
        }
    }
}
