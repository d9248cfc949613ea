package io.reactivemmap.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCounted;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The writer on real sockets: a server bootstrap per test, a plain JDK SocketChannel as the client. */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class ChannelBodyWriterSocketTest {
    private static final long SIZE = 64L << 20;
    private static final MapOptions OPTIONS = MapOptions.defaults().withWindowSize(4 << 20).withMaxLiveBytes(16 << 20);

    @TempDir
    static Path dir;
    private static Path file;

    private static synchronized Path file() throws Exception {
        if (file == null) {
            file = TestFiles.pattern(dir, "64m", SIZE);
        }
        return file;
    }

    /** A server that writes {@code body} to each connection, then closes it; completes {@code result} with the write. */
    private record Server(EventLoopGroup group, Channel channel, CompletableFuture<ChannelFuture> result) implements AutoCloseable {
        static Server start(Transports.Kind kind, Function<ChannelHandlerContext, Flux<ByteBuf>> body, WriteOptions options) {
            Assumptions.assumeTrue(kind.isAvailable(), () -> kind + " unavailable: " + Transports.epollUnavailableReason());
            EventLoopGroup group = kind.newEventLoopGroup(1);
            CompletableFuture<ChannelFuture> result = new CompletableFuture<>();
            Channel ch = new ServerBootstrap().group(group).channel(kind.serverChannelClass())
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ChannelBodyWriter.write(ctx, body.apply(ctx), options).addListener((ChannelFuture f) -> {
                                        result.complete(f);
                                        ctx.close();
                                    });
                                }
                            });
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            return new Server(group, ch, result);
        }

        InetSocketAddress address() {
            return (InetSocketAddress) channel.localAddress();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static Flux<ByteBuf> windowsOf(Path file) {
        return MappedByteBufs.byteBufs(MappedFile.windows(file, OPTIONS));
    }

    /** Reads to EOF (or {@code limit} bytes), checking every byte against the pattern; returns the bytes read. */
    private static long readAndCheck(InetSocketAddress address, long limit) throws Exception {
        try (SocketChannel client = SocketChannel.open(address)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            long pos = 0;
            while (pos < limit) {
                buf.clear();
                if (limit - pos < buf.capacity()) {
                    buf.limit((int) (limit - pos));
                }
                int n = client.read(buf);
                if (n < 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buf.get(i) != TestFiles.byteAt(pos + i)) {
                        throw new AssertionError("byte " + (pos + i) + " differs");
                    }
                }
                pos += n;
            }
            return pos;
        }
    }

    @ParameterizedTest
    @EnumSource(Transports.Kind.class)
    void sends64MiBByteExact(Transports.Kind kind) throws Exception {
        Path f = file();
        MappingStats.resetPeak();
        try (Server server = Server.start(kind, ctx -> windowsOf(f), WriteOptions.defaults())) {
            assertEquals(SIZE, readAndCheck(server.address(), Long.MAX_VALUE));
            ChannelFuture write = server.result().get(10, TimeUnit.SECONDS);
            assertTrue(write.isSuccess(), () -> String.valueOf(write.cause()));
        }
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= OPTIONS.maxLiveBytes(), "peak mapped " + peak);
    }

    @ParameterizedTest
    @EnumSource(Transports.Kind.class)
    void sendsByteExactWhenTheSourceSignalsOnAnotherThread(Transports.Kind kind) throws Exception {
        Path f = file();
        try (Server server = Server.start(kind, ctx -> windowsOf(f)
                        .publishOn(Schedulers.boundedElastic(), 2)
                        .doOnDiscard(ByteBuf.class, ReferenceCounted::release),
                WriteOptions.defaults().withMaxChunkSize(256 * 1024))) {
            assertEquals(SIZE, readAndCheck(server.address(), Long.MAX_VALUE));
            ChannelFuture write = server.result().get(10, TimeUnit.SECONDS);
            assertTrue(write.isSuccess(), () -> String.valueOf(write.cause()));
        }
    }

    @ParameterizedTest
    @EnumSource(Transports.Kind.class)
    void aClientThatDisconnectsMidDownloadLeavesNothingMapped(Transports.Kind kind) throws Exception {
        Path f = file();
        try (Server server = Server.start(kind, ctx -> windowsOf(f), WriteOptions.defaults())) {
            assertEquals(3 << 20, readAndCheck(server.address(), 3 << 20));
            ChannelFuture write = server.result().get(10, TimeUnit.SECONDS);
            assertFalse(write.isSuccess(), "the body cannot complete once the client is gone");
            NoLeakedWindows.assertNothingMapped();
        }
    }

    @ParameterizedTest
    @EnumSource(Transports.Kind.class)
    void aStalledReaderHoldsNoWrittenPagesWhenTheyAreDropped(Transports.Kind kind) throws Exception {
        // The socket takes megabytes at once; a reader then stalls. Those pages were copied from the mapping, so they
        // stay resident until the window is unmapped, unless the writer drops them.
        Path f = file();
        for (boolean drop : new boolean[] {false, true}) {
            // One 32 MiB window, so everything read so far is still mapped; without populate-ahead, which faults
            // read-ahead windows in on purpose (the file server turns it off).
            Flux<ByteBuf> body = MappedByteBufs.byteBufs(MappedFile.windows(f, OPTIONS.withWindowSize(32 << 20)
                    .withMaxLiveBytes(64 << 20).withPopulateAhead(false)));
            try (Server server = Server.start(kind, ctx -> body, WriteOptions.defaults().withDropWrittenPages(drop));
                 SocketChannel client = SocketChannel.open(server.address())) {
                // Reading 6 MiB quickly lets the socket buffers grow (autotuning) before the reader stalls.
                ByteBuffer buf = ByteBuffer.allocate(6 << 20);
                while (buf.hasRemaining()) {
                    client.read(buf);
                }
                Thread.sleep(400); // past the 100 ms after which a window still being written counts as slow
                long resident = TestFiles.residentKiB(f);
                if (drop) {
                    assertTrue(resident <= 1024, "stalled with dropping: " + resident + " KiB resident");
                } else {
                    assertTrue(resident >= 6 * 1024, "stalled without dropping: " + resident + " KiB resident");
                }
            }
        }
    }

    @Test
    void preferredTransportIsEpollWhenItsNativeLibraryLoads() {
        Transports.Kind preferred = Transports.preferred();
        assertEquals(Transports.Kind.EPOLL.isAvailable() ? Transports.Kind.EPOLL : Transports.Kind.NIO, preferred);
        assertTrue(Transports.Kind.NIO.isAvailable());
        if (!Transports.Kind.EPOLL.isAvailable()) {
            assertTrue(Transports.epollUnavailableReason().contains("netty-transport-native-epoll"));
        } else {
            assertEquals("available", Transports.epollUnavailableReason());
        }
    }

    @Test
    void aKindHasAnUnavailabilityCauseExactlyWhenItIsNotAvailable() {
        assertEquals(null, Transports.Kind.NIO.unavailabilityCause());
        assertEquals(!Transports.Kind.EPOLL.isAvailable(), Transports.Kind.EPOLL.unavailabilityCause() != null);
    }
}
