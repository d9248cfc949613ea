package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Http2TlsRecords} on an {@link EmbeddedChannel}: HTTP/2-shaped writes in, whole TLS records out, no copy. */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class Http2TlsRecordsTest {
    private static final int RECORD = TlsWindowGuard.RECORD;

    @TempDir
    Path dir;

    @Test
    void frameHeadersAndMappedPayloadsLeaveAsWholeRecordsOfTheSameBytes() throws Exception {
        int frames = 10;
        TestFiles.pattern(dir, "f", (long) frames * RECORD);
        ByteBuf window = MappedByteBufs.wrap(MappedFile.windows(dir.resolve("f"), MapOptions.defaults()
                .withWindowSize(frames * RECORD)).take(1).blockFirst());
        EmbeddedChannel ch = new EmbeddedChannel(new Http2TlsRecords());
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<ChannelFuture> writes = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
            ByteBuf header = ch.alloc().buffer(9).writeZero(8).writeByte(i);
            expected.write(new byte[8]);
            expected.write(i);
            writes.add(ch.write(header));
            expected.writeBytes(TestFiles.expected((long) i * RECORD, RECORD));
            writes.add(ch.write(window.readRetainedSlice(RECORD)));
        }
        window.release();
        assertFalse(writes.get(writes.size() - 1).isDone(), "the last write waits for the flush");
        ch.flush();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> sizes = new ArrayList<>();
        ByteBuf record;
        while ((record = ch.readOutbound()) != null) {
            sizes.add(record.readableBytes());
            assertFalse(record instanceof CompositeByteBuf, "the SslHandler copies a short CompositeByteBuf");
            assertTrue(MappedByteBufs.isMapped(record), "a slice over the mapped payload, not a copy");
            byte[] bytes = new byte[record.readableBytes()];
            record.getBytes(record.readerIndex(), bytes);
            out.writeBytes(bytes);
            record.release();
        }
        int total = frames * (RECORD + 9);
        assertEquals(total / RECORD + 1, sizes.size(), "records: " + sizes);
        for (int i = 0; i < sizes.size() - 1; i++) {
            assertEquals(RECORD, sizes.get(i), "every record but the last is full: " + sizes);
        }
        assertEquals(total % RECORD, sizes.get(sizes.size() - 1));
        assertArrayEquals(expected.toByteArray(), out.toByteArray());
        for (ChannelFuture f : writes) {
            assertTrue(f.isSuccess(), "every write's promise completes with its record");
        }
        assertEquals(0, MappingStats.snapshot().liveWindows(), "the window is unmapped once its records are released");
        assertFalse(ch.finish());
    }

    @Test
    void aRecordOfManySmallFramesIsStillASliceOverTheMappedPayloadsNotACopy() throws Exception {
        // Small DATA frames (a client that grants its window a few hundred bytes at a time): one record spans dozens of
        // header and payload pieces, more than a CompositeByteBuf holds before it consolidates them into a copy.
        for (int payload : new int[] {1, 100, 500, 1000, 4000}) {
            int frames = 4 * RECORD / (payload + 9) + 1;
            TestFiles.pattern(dir, "f" + payload, (long) frames * payload);
            ByteBuf window = MappedByteBufs.wrap(MappedFile.windows(dir.resolve("f" + payload), MapOptions.defaults()
                    .withWindowSize(frames * payload)).take(1).blockFirst());
            EmbeddedChannel ch = new EmbeddedChannel(new Http2TlsRecords());
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            for (int i = 0; i < frames; i++) {
                ch.write(ch.alloc().buffer(9).writeZero(8).writeByte(i));
                expected.write(new byte[8]);
                expected.write(i);
                ch.write(window.readRetainedSlice(payload));
                expected.writeBytes(TestFiles.expected((long) i * payload, payload));
            }
            window.release();
            ch.flush();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int records = 0;
            ByteBuf record;
            while ((record = ch.readOutbound()) != null) {
                records++;
                String what = "payload " + payload + ", record " + records;
                if (record.unwrap() instanceof CompositeByteBuf pieces) {
                    // Each piece as it was written, none merged into a copy: a frame header or a slice of the window.
                    for (ByteBuf piece : pieces) {
                        assertTrue(MappedByteBufs.isMapped(piece) || piece.readableBytes() <= 9,
                                what + ": a piece of " + piece.readableBytes() + " bytes that is not the window's");
                    }
                } else {
                    assertTrue(MappedByteBufs.isMapped(record), what + ": a slice of the window");
                }
                byte[] bytes = new byte[record.readableBytes()];
                record.getBytes(record.readerIndex(), bytes);
                out.writeBytes(bytes);
                record.release();
            }
            assertTrue(records >= 4, "records: " + records);
            assertArrayEquals(expected.toByteArray(), out.toByteArray(), "payload " + payload);
            assertEquals(0, MappingStats.snapshot().liveWindows());
            assertFalse(ch.finish());
        }
    }

    @Test
    void writesHeldWhenTheConnectionClosesAreReleasedAndFailed() throws Exception {
        TestFiles.pattern(dir, "f", RECORD);
        ByteBuf window = MappedByteBufs.wrap(MappedFile.windows(dir.resolve("f")).take(1).blockFirst());
        EmbeddedChannel ch = new EmbeddedChannel(new Http2TlsRecords());
        ChannelFuture header = ch.write(ch.alloc().buffer(9).writeZero(9));
        ChannelFuture payload = ch.write(window.readRetainedSlice(1000));
        window.release();
        ch.close();
        assertInstanceOf(java.io.IOException.class, header.cause());
        assertInstanceOf(java.io.IOException.class, payload.cause());
        assertEquals(0, MappingStats.snapshot().liveWindows());
        assertFalse(ch.finishAndReleaseAll());
    }
}
