package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The check after encryption: a real JDK {@code SslHandler} on an {@link EmbeddedChannel}, handshaken with a client
 * channel, and a file truncated right after the engine encrypted its window (by a handler between the
 * {@code SslHandler} and the gate). None of those records may reach the client; an intact file goes through.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class TlsCiphertextGateTest {
    private static final int SIZE = 4 * TlsWindowGuard.RECORD;

    @TempDir
    Path dir;

    /** Truncates the file when the first large ciphertext record passes, as if it happened during the engine's read. */
    private static final class TruncateOnCiphertext extends ChannelOutboundHandlerAdapter {
        final Path file;
        boolean armed;
        boolean truncated;

        TruncateOnCiphertext(Path file) {
            this.file = file;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws IOException {
            if (armed && !truncated && msg instanceof ByteBuf b && b.readableBytes() > 1000) {
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                    raf.setLength(0);
                }
                truncated = true;
            }
            ctx.write(msg, promise);
        }
    }

    private static void shuttle(EmbeddedChannel from, EmbeddedChannel to) {
        ByteBuf b;
        while ((b = from.readOutbound()) != null) {
            to.writeInbound(b);
        }
    }

    /** A server channel (JDK TLS, guard installed) and a client channel, handshaken. */
    private static EmbeddedChannel[] handshaken() throws Exception {
        SslContext server = SslContextBuilder.forServer(ServerTls.selfSignedKeyManager()).sslProvider(SslProvider.JDK).build();
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        EmbeddedChannel s = new EmbeddedChannel();
        EmbeddedChannel c = new EmbeddedChannel();
        SslHandler serverSsl = server.newHandler(s.alloc());
        s.pipeline().addLast("ssl", serverSsl);
        c.pipeline().addLast(client.newHandler(c.alloc()));
        assertTrue(TlsWindowGuard.install(s.pipeline()));
        for (int i = 0; i < 20 && !serverSsl.handshakeFuture().isDone(); i++) {
            shuttle(c, s);
            shuttle(s, c);
        }
        assertTrue(serverSsl.handshakeFuture().isSuccess(), "handshake");
        shuttle(c, s);
        shuttle(s, c);
        c.releaseInbound();
        return new EmbeddedChannel[] {s, c};
    }

    /** The file, {@code size} bytes, as one mapped window. */
    private static ByteBuf wholeFile(Path file, int size) {
        return MappedByteBufs.wrap(MappedFile.windows(file, MapOptions.defaults().withWindowSize(size)).take(1).blockFirst());
    }

    private static byte[] received(EmbeddedChannel c) {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        Object in;
        while ((in = c.readInbound()) != null) {
            ByteBuf b = (ByteBuf) in;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            got.writeBytes(bytes);
            b.release();
        }
        return got.toByteArray();
    }

    private byte[] send(boolean truncate) throws Exception {
        Path file = TestFiles.pattern(dir, truncate ? "t.bin" : "i.bin", SIZE);
        EmbeddedChannel[] pair = handshaken();
        EmbeddedChannel s = pair[0];
        EmbeddedChannel c = pair[1];
        TruncateOnCiphertext truncator = new TruncateOnCiphertext(file);
        s.pipeline().addBefore("ssl", "truncator", truncator);

        ByteBuf window = wholeFile(file, SIZE);
        truncator.armed = truncate;
        s.writeAndFlush(window);
        shuttle(s, c);
        byte[] got = received(c);
        assertEquals(truncate, truncator.truncated);
        if (truncate) {
            assertFalse(s.isActive(), "the connection must be closed");
        }
        s.finishAndReleaseAll();
        c.finishAndReleaseAll();
        return got;
    }

    /**
     * The check before encryption finds the file truncated after the first piece went out; the failed write's listener
     * writes and flushes at once, as the HTTP/2 codec does (RST_STREAM) when a DATA frame's write fails. The client must
     * see the piece sent before the cut and nothing after it: bytes after a cut DATA frame are read as its payload.
     */
    @Test
    void aWriteMadeWhileATruncatedWriteFailsNeverFollowsTheCut() throws Exception {
        int size = 2 * TlsWindowGuard.PIECE;
        Path file = TestFiles.pattern(dir, "r.bin", size);
        EmbeddedChannel[] pair = handshaken();
        EmbeddedChannel s = pair[0];
        EmbeddedChannel c = pair[1];
        ByteBuf window = wholeFile(file, size);
        TruncateOnCiphertext truncator = new TruncateOnCiphertext(file);
        truncator.armed = true;
        s.pipeline().addFirst("truncator", truncator); // on the socket side of the gate: after the first piece was checked
        boolean[] failed = new boolean[1];
        ChannelPromise promise = s.newPromise(); // the listener must be there before the write fails
        promise.addListener(f -> {
            failed[0] = !f.isSuccess();
            s.writeAndFlush(Unpooled.copiedBuffer("written after the cut", StandardCharsets.US_ASCII));
        });
        s.writeAndFlush(window, promise);
        shuttle(s, c);
        byte[] got = received(c);
        assertTrue(truncator.truncated);
        assertTrue(failed[0], "the truncated write must fail");
        assertFalse(s.isActive(), "the connection must be closed");
        assertArrayEquals(TestFiles.expected(0, TlsWindowGuard.PIECE), got,
                "the client must get the piece checked before the truncation and nothing after it");
        s.finishAndReleaseAll();
        c.finishAndReleaseAll();
    }

    /**
     * A write made while the guard is cutting a window into pieces (here when the first piece reaches the socket, as a
     * writability change does) goes after the whole window, not between its pieces.
     */
    @Test
    void aWriteMadeDuringAFlushGoesAfterTheWindowInProgress() throws Exception {
        int size = 2 * TlsWindowGuard.PIECE;
        Path file = TestFiles.pattern(dir, "o.bin", size);
        EmbeddedChannel[] pair = handshaken();
        EmbeddedChannel s = pair[0];
        EmbeddedChannel c = pair[1];
        byte[] extra = "written during the flush".getBytes(StandardCharsets.US_ASCII);
        boolean[] wrote = new boolean[1];
        s.pipeline().addFirst("writer", new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ctx.write(msg, promise);
                if (!wrote[0] && msg instanceof ByteBuf b && b.readableBytes() > 1000) {
                    wrote[0] = true;
                    s.writeAndFlush(Unpooled.wrappedBuffer(extra));
                }
            }
        });
        ByteBuf window = wholeFile(file, size);
        s.writeAndFlush(window);
        shuttle(s, c);
        byte[] got = received(c);
        assertTrue(wrote[0]);
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        expected.writeBytes(TestFiles.expected(0, size));
        expected.writeBytes(extra);
        assertArrayEquals(expected.toByteArray(), got, "the window, then the write made during its flush");
        s.finishAndReleaseAll();
        c.finishAndReleaseAll();
    }

    @Test
    void recordsOfAWindowTruncatedDuringEncryptionNeverReachTheClient() throws Exception {
        assertEquals(0, send(true).length, "bytes of a window whose file was truncated while it was encrypted");
    }

    @Test
    void anIntactWindowPassesTheGateWhole() throws Exception {
        assertArrayEquals(TestFiles.expected(0, SIZE), send(false));
    }
}
