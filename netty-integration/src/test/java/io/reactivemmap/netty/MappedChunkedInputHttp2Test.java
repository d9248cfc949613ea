package io.reactivemmap.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataChunkedInput;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MappedChunkedInput} wrapped in Netty's {@link Http2DataChunkedInput} and written by a
 * {@link ChunkedWriteHandler} on an HTTP/2 stream channel, over a real HTTP/2 connection in memory
 * ({@link EmbeddedHttp2}): the client's flow-control window, not the file size, decides how much is mapped.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class MappedChunkedInputHttp2Test {
    private static final int WINDOW = 128 << 10;
    private static final int CHUNK = 16 << 10;
    /** Exact window counts: no read-ahead, no background populate. */
    private static final MapOptions OPTIONS = MapOptions.defaults().withWindowSize(WINDOW).withReadAhead(0)
            .withPopulateAhead(false);

    @TempDir
    Path dir;

    /** A server whose every stream answers 200 with the whole file as Http2DataChunkedInput(MappedChunkedInput). */
    private EmbeddedHttp2 connection(Path file, long size, int clientStreamWindow) {
        ChannelInitializer<Http2StreamChannel> streams = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.pipeline().addLast(new ChunkedWriteHandler(), new SimpleChannelInboundHandler<Http2HeadersFrame>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Http2HeadersFrame request) {
                        ctx.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200")
                                .setLong("content-length", size)));
                        ctx.writeAndFlush(new Http2DataChunkedInput(new MappedChunkedInput(file, 0, size, OPTIONS, CHUNK),
                                ch.stream()));
                    }
                });
            }
        };
        return new EmbeddedHttp2(Http2Settings.defaultSettings().initialWindowSize(clientStreamWindow),
                Http2FrameCodecBuilder.forServer().build(), new Http2MultiplexHandler(streams));
    }

    @Test
    void dataFramesCarryExactlyTheFileAndTheLastEndsTheStream() throws Exception {
        int size = 10 * WINDOW + 777;
        Path file = TestFiles.pattern(dir, "f", size);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        try (EmbeddedHttp2 h2 = connection(file, size, 1 << 20)) {
            EmbeddedHttp2.Response r = h2.get("/f");
            h2.shuttle();
            assertEquals("200", r.status());
            assertTrue(r.endStream, "the last DATA frame ends the stream");
            assertEquals(0, r.framesAfterEnd);
            assertArrayEquals(TestFiles.expected(0, size), r.body.toByteArray());
            assertTrue(r.frames.stream().allMatch(n -> n > 0 && n <= CHUNK), "frames of at most one chunk: " + r.frames);
            assertEquals(11, MappingStats.snapshot().windowsMapped() - mappedBefore, "each window mapped once");
            assertEquals(0, MappingStats.snapshot().liveWindows(), "every window unmapped once its frames were written");
        }
    }

    @Test
    void theClientsFlowControlWindowBoundsWhatIsMapped() throws Exception {
        int size = 32 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        // 64 KiB of stream window: the server may send half a window before the client's window update.
        try (EmbeddedHttp2 h2 = connection(file, size, 64 << 10)) {
            EmbeddedHttp2.Response r = h2.get("/f");
            long maxLive = 0;
            int rounds = 0;
            for (long moved; (moved = h2.step()) >= 0; rounds++) {
                maxLive = Math.max(maxLive, MappingStats.snapshot().liveWindows());
                assertTrue(moved <= (64 << 10) + (1 << 10), "no more than the window (plus frame headers) per round: " + moved);
            }
            assertTrue(r.endStream);
            assertArrayEquals(TestFiles.expected(0, size), r.body.toByteArray());
            assertTrue(rounds > size / (64 << 10) / 2, "the transfer took many window updates: " + rounds);
            // The window being cut plus the one whose last frames wait for the client's window: never the file's 32.
            assertTrue(maxLive <= 2, "at most two windows mapped at once, saw " + maxLive);
            assertEquals(32, MappingStats.snapshot().windowsMapped() - mappedBefore);
        }
    }

    @Test
    void aStreamResetMidBodyUnmapsEverything() throws Exception {
        int size = 32 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        try (EmbeddedHttp2 h2 = connection(file, size, 64 << 10)) {
            EmbeddedHttp2.Response r = h2.get("/f");
            for (int i = 0; i < 4; i++) {
                h2.step();
            }
            assertFalse(r.endStream);
            assertTrue(MappingStats.snapshot().liveWindows() > 0, "part-way through, a window is mapped");
            r.channel.close(); // the client cancels: RST_STREAM(CANCEL)
            h2.shuttle();
            assertTrue(r.body.size() < size);
            assertEquals(0, MappingStats.snapshot().liveWindows(), "the reset stream's windows are unmapped");
            assertEquals(0, MappingStats.snapshot().mappedBytes());
            assertTrue(h2.server.isActive(), "the connection survives a stream reset");
        }
    }

    @Test
    void closingTheConnectionMidBodyUnmapsEverything() throws Exception {
        int size = 32 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        EmbeddedHttp2 h2 = connection(file, size, 64 << 10);
        try {
            EmbeddedHttp2.Response r = h2.get("/f");
            h2.step();
            h2.step();
            assertFalse(r.endStream);
            assertTrue(MappingStats.snapshot().liveWindows() > 0);
            h2.server.close();
            h2.server.runPendingTasks();
            assertEquals(0, MappingStats.snapshot().liveWindows(), "closing the connection unmaps the stream's windows");
        } finally {
            h2.close();
        }
    }
}
