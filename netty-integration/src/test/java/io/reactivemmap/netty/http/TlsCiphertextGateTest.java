package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
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

    private byte[] send(boolean truncate) throws Exception {
        Path file = TestFiles.pattern(dir, truncate ? "t.bin" : "i.bin", SIZE);
        SslContext server = SslContextBuilder.forServer(ServerTls.selfSignedKeyManager()).sslProvider(SslProvider.JDK).build();
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        EmbeddedChannel s = new EmbeddedChannel();
        EmbeddedChannel c = new EmbeddedChannel();
        SslHandler serverSsl = server.newHandler(s.alloc());
        s.pipeline().addLast("ssl", serverSsl);
        c.pipeline().addLast(client.newHandler(c.alloc()));
        assertTrue(TlsWindowGuard.install(s.pipeline()));
        TruncateOnCiphertext truncator = new TruncateOnCiphertext(file);
        s.pipeline().addBefore("ssl", "truncator", truncator);
        for (int i = 0; i < 20 && !serverSsl.handshakeFuture().isDone(); i++) {
            shuttle(c, s);
            shuttle(s, c);
        }
        assertTrue(serverSsl.handshakeFuture().isSuccess(), "handshake");
        shuttle(c, s);
        shuttle(s, c);
        c.releaseInbound();

        ByteBuf window = MappedByteBufs.wrap(MappedFile.windows(file, MapOptions.defaults().withWindowSize(SIZE))
                .take(1).blockFirst());
        truncator.armed = truncate;
        s.writeAndFlush(window);
        shuttle(s, c);
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        Object in;
        while ((in = c.readInbound()) != null) {
            ByteBuf b = (ByteBuf) in;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            got.writeBytes(bytes);
            b.release();
        }
        assertEquals(truncate, truncator.truncated);
        if (truncate) {
            assertFalse(s.isActive(), "the connection must be closed");
        }
        s.finishAndReleaseAll();
        c.finishAndReleaseAll();
        return got.toByteArray();
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
