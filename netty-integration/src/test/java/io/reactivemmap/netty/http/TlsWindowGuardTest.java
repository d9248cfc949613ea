package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link TlsWindowGuard} on an {@link EmbeddedChannel}, with a recorder where the SslHandler would be. */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class TlsWindowGuardTest {
    @TempDir
    Path dir;

    /** Records, in order, the bytes of each write and a -1 for each flush; releases what it is given. */
    private static final class Recorder extends ChannelOutboundHandlerAdapter {
        final List<Integer> events = new ArrayList<>();
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ByteBuf b = (ByteBuf) msg;
            events.add(b.readableBytes());
            byte[] copy = new byte[b.readableBytes()];
            b.getBytes(b.readerIndex(), copy);
            bytes.writeBytes(copy);
            b.release();
            promise.setSuccess();
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            events.add(-1);
        }
    }

    @Test
    void manySmallMappedWritesAreFlushedAtLeastEveryPieceNotOnlyAtTheEndOfTheBatch() throws Exception {
        int size = 20 * TlsWindowGuard.RECORD;
        TestFiles.pattern(dir, "f", size);
        ByteBuf window = MappedByteBufs.wrap(MappedFile.windows(dir.resolve("f"), MapOptions.defaults().withWindowSize(size))
                .take(1).blockFirst());
        Recorder recorder = new Recorder();
        EmbeddedChannel ch = new EmbeddedChannel(recorder, new TlsWindowGuard());
        // The shape of HTTP/2 over TLS: a small frame header, then a DATA payload sliced from a window, many times.
        for (int i = 0; i < 20; i++) {
            ch.write(ch.alloc().buffer(9).writeZero(9));
            ch.write(window.readRetainedSlice(TlsWindowGuard.RECORD));
        }
        window.release();
        ch.flush();
        int mappedSinceFlush = 0;
        int flushes = 0;
        for (int e : recorder.events) {
            if (e < 0) {
                flushes++;
                mappedSinceFlush = 0;
            } else if (e > 9) {
                mappedSinceFlush += e;
                assertTrue(mappedSinceFlush <= TlsWindowGuard.PIECE, "more than a piece of mapped bytes between two "
                        + "flushes (each check is only good for the encryption that follows it): " + recorder.events);
            }
        }
        assertTrue(flushes >= size / TlsWindowGuard.PIECE, "flushes: " + recorder.events);
        byte[] out = recorder.bytes.toByteArray();
        assertEquals(20 * (9 + TlsWindowGuard.RECORD), out.length);
        for (int i = 0; i < 20; i++) {
            byte[] payload = java.util.Arrays.copyOfRange(out, i * (9 + TlsWindowGuard.RECORD) + 9, (i + 1) * (9 + TlsWindowGuard.RECORD));
            assertArrayEquals(TestFiles.expected((long) i * TlsWindowGuard.RECORD, TlsWindowGuard.RECORD), payload, "payload " + i);
        }
        ch.finishAndReleaseAll();
    }
}
