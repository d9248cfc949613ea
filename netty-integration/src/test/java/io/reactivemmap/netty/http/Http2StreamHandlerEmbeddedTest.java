package io.reactivemmap.netty.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.buffer.Unpooled;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.EmbeddedHttp2;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Http2Server}'s pipeline on an {@link io.netty.channel.embedded.EmbeddedChannel}, talking to Netty's HTTP/2
 * client over an in-memory connection ({@link EmbeddedHttp2}): flow control, resets and limits, step by step.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
class Http2StreamHandlerEmbeddedTest {
    private static final int WINDOW = 256 << 10;

    @TempDir
    Path dir;

    private EmbeddedHttp2 connect(FileServerOptions options, int clientStreamWindow) throws IOException {
        ServerState state = new ServerState(options, RootDirectory.of(dir, false, false));
        Http2Server http2 = new Http2Server(state);
        ConnectionGuard guard = new ConnectionGuard(options.idleTimeout(), options.minRate(), options.minRatePeriod(),
                options.requestHeadTimeout());
        return new EmbeddedHttp2(Http2Settings.defaultSettings().initialWindowSize(clientStreamWindow),
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("guard", guard);
                        http2.configure(ch.pipeline(), guard, false);
                    }
                });
    }

    private FileServerOptions options() {
        return FileServerOptions.defaults(dir).withWindowSize(WINDOW).withMaxBytesInFlight(WINDOW);
    }

    @Test
    void windowsAreMappedOnlyAsFastAsTheClientsFlowControlWindowLetsDataOut() throws Exception {
        int size = 16 << 20;
        TestFiles.pattern(dir, "big.bin", size);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        long bytesBefore = MappingStats.snapshot().bytesMapped();
        try (EmbeddedHttp2 h2 = connect(options(), 64 << 10)) {
            EmbeddedHttp2.Response r = h2.get("/big.bin");
            long delivered = 0;
            int rounds = 0;
            for (long moved; (moved = h2.step()) >= 0; rounds++) {
                delivered += moved;
                long mapped = MappingStats.snapshot().bytesMapped() - bytesBefore;
                // Never more mapped than what the client let out plus the stream's byte budget and one window ahead.
                assertTrue(mapped <= delivered + 3L * WINDOW,
                        "round " + rounds + ": " + mapped + " bytes mapped with " + delivered + " bytes delivered");
                assertTrue(MappingStats.snapshot().liveWindows() <= 2, "at most two windows mapped at once");
            }
            assertEquals("200", r.status());
            assertTrue(r.endStream);
            assertEquals(0, r.framesAfterEnd);
            assertArrayEquals(TestFiles.expected(0, size), r.body.toByteArray());
            // Windows follow the client's 64 KiB flow-control window, not the server's 256 KiB window size.
            assertEquals(size / PeerWindow.MIN_WINDOW, MappingStats.snapshot().windowsMapped() - mappedBefore);
            assertTrue(rounds > size / (64 << 10) / 2, "many round trips of window updates: " + rounds);
        }
    }

    @Test
    void aFileThatShrinksMidBodyResetsTheStreamInsteadOfEndingItShort() throws Exception {
        int size = 4 << 20;
        Path file = TestFiles.pattern(dir, "big.bin", size);
        try (EmbeddedHttp2 h2 = connect(options(), 64 << 10)) {
            EmbeddedHttp2.Response r = h2.get("/big.bin");
            h2.step();
            h2.step();
            assertEquals(String.valueOf(size), String.valueOf(r.header("content-length")));
            // Truncated at a window boundary beyond every window mapped so far (two of 256 KiB): the source fails when it
            // maps the first window past the new end, and nothing in this JVM reads a truncated mapping.
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(2 << 20);
            }
            h2.shuttle();
            assertFalse(r.endStream, "a short body must never end the stream normally");
            assertEquals(Http2Error.INTERNAL_ERROR.code(), r.resetCode);
            byte[] got = r.body.toByteArray();
            assertTrue(got.length <= 2 << 20, "no byte past the new end: " + got.length);
            assertArrayEquals(TestFiles.expected(0, got.length), got);
            assertEquals(0, MappingStats.snapshot().liveWindows());
            assertTrue(h2.server.isActive(), "one stream's failure does not end the connection");
        }
    }

    @Test
    void aClientResetMidBodyUnmapsTheStreamsWindowsAndTheConnectionServesOn() throws Exception {
        TestFiles.pattern(dir, "big.bin", 4 << 20);
        TestFiles.pattern(dir, "small.bin", 1000);
        try (EmbeddedHttp2 h2 = connect(options(), 64 << 10)) {
            EmbeddedHttp2.Response r = h2.get("/big.bin");
            h2.step();
            h2.step();
            assertTrue(MappingStats.snapshot().liveWindows() > 0);
            r.channel.close(); // RST_STREAM(CANCEL)
            h2.shuttle();
            assertEquals(0, MappingStats.snapshot().liveWindows());
            EmbeddedHttp2.Response next = h2.get("/small.bin");
            h2.shuttle();
            assertEquals("200", next.status());
            assertArrayEquals(TestFiles.expected(0, 1000), next.body.toByteArray());
        }
    }

    @Test
    void aGetWithABodyIsRefusedAndItsStreamEnded() throws Exception {
        TestFiles.pattern(dir, "small.bin", 1000);
        try (EmbeddedHttp2 h2 = connect(options(), 64 << 10)) {
            Http2Headers headers = new DefaultHttp2Headers().method("GET").path("/small.bin").scheme("http").authority("x");
            EmbeddedHttp2.Response r = h2.request(headers, false);
            r.channel.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(new byte[100]), false));
            h2.shuttle();
            assertEquals("400", r.status());
            assertTrue(r.endStream);
            assertEquals(Http2Error.NO_ERROR.code(), r.resetCode, "the unread request body is cut off with RST_STREAM(NO_ERROR)");
        }
    }

    @Test
    void aHeaderListOverTheLimitGets431() throws Exception {
        TestFiles.pattern(dir, "small.bin", 1000);
        try (EmbeddedHttp2 h2 = connect(options(), 64 << 10)) {
            char[] big = new char[Http2Server.MAX_HEADER_LIST_SIZE];
            Arrays.fill(big, 'a');
            EmbeddedHttp2.Response r = h2.get("/small.bin", "x-big", new String(big));
            h2.shuttle();
            assertEquals("431", r.status());
            EmbeddedHttp2.Response ok = h2.get("/small.bin");
            h2.shuttle();
            assertEquals("200", ok.status(), "the connection serves on");
        }
    }

    @Test
    void theServerAnnouncesItsStreamAndHeaderLimitsAndEnforcesTheStreamLimit() throws Exception {
        TestFiles.pattern(dir, "big.bin", 4 << 20);
        try (EmbeddedHttp2 h2 = connect(options().withMaxConcurrentStreams(2), 64 << 10)) {
            Http2Connection client = h2.client.pipeline().get(Http2FrameCodec.class).connection();
            assertEquals(2, client.local().maxActiveStreams(), "SETTINGS_MAX_CONCURRENT_STREAMS");
            assertEquals(Http2Server.MAX_HEADER_LIST_SIZE,
                    h2.client.pipeline().get(Http2FrameCodec.class).encoder().configuration().headersConfiguration()
                            .maxHeaderListSize(), "SETTINGS_MAX_HEADER_LIST_SIZE");
            EmbeddedHttp2.Response first = h2.get("/big.bin");
            EmbeddedHttp2.Response second = h2.get("/big.bin");
            h2.step();
            // A third stream while two bodies are in progress: refused (by the client's own codec, which honours the
            // announced limit; a client that ignored it would get RST_STREAM(REFUSED_STREAM) from the server's).
            EmbeddedHttp2.Response third = h2.get("/big.bin");
            h2.shuttle();
            assertEquals("200", first.status());
            assertEquals("200", second.status());
            assertTrue(first.endStream && second.endStream);
            assertEquals(null, third.status(), "the third stream was not answered");
        }
    }

    @Test
    void pingsDoNotKeepAConnectionWithoutStreamsAlivePastTheIdleTimeout() throws Exception {
        TestFiles.pattern(dir, "small.bin", 1000);
        try (EmbeddedHttp2 h2 = connect(options().withIdleTimeout(Duration.ofMillis(300)), 64 << 10)) {
            EmbeddedHttp2.Response r = h2.get("/small.bin");
            h2.shuttle();
            assertEquals("200", r.status());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (h2.server.isActive() && System.nanoTime() < deadline) {
                h2.client.writeAndFlush(new DefaultHttp2PingFrame(42));
                h2.shuttle();
                Thread.sleep(20);
                h2.server.runScheduledPendingTasks();
            }
            assertFalse(h2.server.isActive(), "closed after the idle timeout although the client kept pinging");
        }
    }
}
