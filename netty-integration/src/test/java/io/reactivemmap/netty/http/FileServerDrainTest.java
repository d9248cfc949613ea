package io.reactivemmap.netty.http;

import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FileServer#drain} over real sockets: what is in flight finishes, what is idle or new is turned away, and the
 * timeout cuts what is too slow. Every test leaves zero windows mapped and zero connections open.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
class FileServerDrainTest {
    static final int BIG = 8 << 20;

    @TempDir
    Path dir;
    Path root;
    FileServer server;
    int port;

    @BeforeEach
    void setUp() throws Exception {
        root = RootDirectoryTest.build(dir);
        TestFiles.pattern(root, "big.bin", BIG);
        server = FileServer.start(FileServerOptions.defaults(root).withPort(0).withIoThreads(2)
                .withWindowSize(64 << 10).withMaxBytesInFlight(256 << 10));
        port = server.port();
    }

    @AfterEach
    void tearDown() {
        server.close();
        assertEquals(0, server.openConnections(), "connections still open");
    }

    private void assertRefused() {
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(),
                "a new connection must be refused while draining");
    }

    @Test
    void anHttp11DownloadInFlightFinishesWholeWhileNewConnectionsAreRefused() throws Exception {
        assertFalse(server.isDraining());
        try (RawHttp raw = new RawHttp(port, 16 << 10)) {
            raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttp.Response head = raw.readHead();
            assertEquals(200, head.status());
            assertNull(head.header("connection"), "started before the drain: a keep-alive response");
            byte[] first = raw.in.readNBytes(1000); // the download is under way, most of it still to come

            CompletableFuture<Void> drained = server.drain(Duration.ofSeconds(20));
            assertTrue(server.isDraining());
            assertRefused();
            assertFalse(drained.isDone(), "a response is still in flight");

            byte[] rest = raw.in.readNBytes(BIG - first.length);
            byte[] body = Arrays.copyOf(first, BIG);
            System.arraycopy(rest, 0, body, first.length, rest.length);
            assertArrayEquals(TestFiles.expected(0, BIG), body, "the whole body, byte for byte");
            assertEquals(0, raw.drain(), "then the server closes the connection");
            drained.get(10, TimeUnit.SECONDS);
            assertEquals(0, server.openConnections());
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAtOnce() throws Exception {
        try (RawHttp raw = new RawHttp(port)) {
            assertEquals(200, raw.request("GET", "/a.txt").status());
            long t0 = System.nanoTime();
            CompletableFuture<Void> drained = server.drain(Duration.ofSeconds(20));
            assertEquals(0, raw.drain(), "closed without another byte");
            drained.get(5, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(millis < 2_000, "closed after " + millis + " ms: not at once");
            assertTrue(server.drain(Duration.ZERO).isDone(), "a second drain returns the first one's, done");
        }
    }

    @Test
    void anHttp2StreamCompletesAfterGoAway() throws Exception {
        int size = 1 << 20;
        TestFiles.pattern(root, "one.bin", size);
        try (RawHttp2 h2 = RawHttp2.plain(port).start()) {
            h2.replenish = false; // the stream stops after the client's first 64 KiB window
            h2.get(1, "/one.bin");
            long before = 0;
            boolean headers = false;
            while (before < 65_535) {
                RawHttp2.Frame f = h2.read();
                headers |= f.stream() == 1 && f.type() == RawHttp2.HEADERS;
                if (f.stream() == 1 && f.type() == RawHttp2.DATA) {
                    before += f.payload().length;
                }
            }
            assertTrue(headers);
            CompletableFuture<Void> drained = server.drain(Duration.ofSeconds(20));
            RawHttp2.GoAway goAway = null;
            long received = before;
            boolean ended = false;
            // Open the windows again: the stream goes on after the GOAWAY until its last byte
            h2.replenish = true;
            h2.frame(RawHttp2.WINDOW_UPDATE, 0, 0, RawHttp2.int32(before));
            h2.frame(RawHttp2.WINDOW_UPDATE, 0, 1, RawHttp2.int32(before));
            while (!ended) {
                RawHttp2.Frame f = h2.read();
                if (f.type() == RawHttp2.GOAWAY) {
                    goAway = new RawHttp2.GoAway(f.int32(0) & 0x7fff_ffff, Integer.toUnsignedLong(f.int32(4)), "");
                } else if (f.stream() == 1 && f.type() == RawHttp2.DATA) {
                    received += f.payload().length;
                    ended = f.has(RawHttp2.END_STREAM);
                } else if (f.stream() == 1 && f.type() == RawHttp2.RST_STREAM) {
                    throw new AssertionError("stream reset during the drain after " + received + " bytes");
                }
            }
            assertEquals(size, received, "the whole body");
            assertTrue(goAway != null && goAway.errorCode() == 0 && goAway.lastStreamId() == 1,
                    "GOAWAY NO_ERROR naming stream 1 before the stream ended: " + goAway);
            assertRefused();
            h2.awaitClose();
            drained.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theTimeoutCutsADownloadThatIsTooSlow() throws Exception {
        try (RawHttp raw = new RawHttp(port, 16 << 10)) {
            raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.readHead().status());
            long t0 = System.nanoTime();
            CompletableFuture<Void> drained = server.drain(Duration.ofMillis(500));
            drained.get(10, TimeUnit.SECONDS); // without reading a byte more: the timeout must end it
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(millis >= 400 && millis < 5_000, "cut after " + millis + " ms, expected about 500");
            long rest = raw.drain();
            assertTrue(rest < BIG, "the body was cut: " + rest + " bytes after the head");
            assertEquals(0, server.openConnections());
        }
    }

    @Test
    void closeDuringADrainClosesAtOnceAndCompletesIt() throws Exception {
        try (RawHttp raw = new RawHttp(port, 16 << 10)) {
            raw.send("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals(200, raw.readHead().status());
            CompletableFuture<Void> drained = server.drain(Duration.ofSeconds(60));
            long t0 = System.nanoTime();
            server.close();
            assertTrue(drained.isDone(), "close() completes the drain");
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "close() waited for the drain");
            assertTrue(raw.drain() < BIG);
        }
    }

    @Test
    void aNegativeTimeoutIsRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> server.drain(Duration.ofSeconds(-1)));
        assertTrue(e.getMessage().contains("PT-1S"), e.getMessage());
        assertFalse(server.isDraining());
    }
}
