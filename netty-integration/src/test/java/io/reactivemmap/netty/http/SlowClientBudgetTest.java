package io.reactivemmap.netty.http;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.reactivemmap.MappingBudget;
import io.reactivemmap.MappingStats;
import io.reactivemmap.internal.NativeAccess;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Slow clients against a {@link FileServer} with a mapping budget small enough to exhaust in a test: they hold no
 * more than their connection's share of it, each stream no more than its client lets through, a fresh client is
 * still served, and when the budget does stay spent a new request is refused with {@code 503} after the budget wait
 * instead of hanging. Real sockets; HTTP/2 clients at the frame level ({@link Http2FrameClient}), HTTP/1.1 ones raw
 * ({@link RawHttp}).
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class SlowClientBudgetTest {
    private static final int WINDOW = 1 << 20;
    private static final long PER_CONNECTION_BYTES = 4L << 20;
    private static final int PER_CONNECTION_WINDOWS = 4;
    private static final int FRESH_SIZE = 2 << 20;
    private static final long PAGE = NativeAccess.pageSize();
    /** How long a fresh client's whole download may take: generous for a loaded 2-core machine. */
    private static final long SERVED_WITHIN_SECONDS = 10;

    @TempDir
    Path root;
    private EventLoopGroup clients;
    private final List<AutoCloseable> closeLast = new ArrayList<>();

    @BeforeEach
    void files() throws Exception {
        TestFiles.sparse(root, "big.bin", 256L << 20); // far more than any client here is let to read
        TestFiles.pattern(root, "data.bin", FRESH_SIZE);
        clients = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeLast.reversed()) {
            c.close();
        }
        clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private FileServer start(MappingBudget budget, Duration budgetWait) throws Exception {
        // Mapped bodies on both protocols, 1 MiB windows; no minimum rate, so the slow clients stay for the whole test.
        FileServer server = FileServer.start(FileServerOptions.defaults(root).withPort(0).withIoThreads(2)
                .withBodyMode(BodyMode.MAPPED).withWindowSize(WINDOW).withMaxBytesInFlight(WINDOW)
                .withMinRate(0, Duration.ZERO).withMappingBudget(budget)
                .withMaxWindowsPerConnection(PER_CONNECTION_WINDOWS).withMaxBytesInFlightPerConnection(PER_CONNECTION_BYTES)
                .withBudgetWaitTimeout(budgetWait));
        closeLast.add(() -> {
            server.close();
            await(() -> server.openConnections() == 0, () -> "connections still open: " + server.openConnections());
        });
        return server;
    }

    private Http2FrameClient slowClient(FileServer server, int streamWindow) throws InterruptedException {
        Http2FrameClient c = Http2FrameClient.slow(clients, server.port(), streamWindow);
        closeLast.add(c);
        return c;
    }

    private Http2FrameClient fastClient(FileServer server) throws InterruptedException {
        Http2FrameClient c = Http2FrameClient.fast(clients, server.port());
        closeLast.add(c);
        return c;
    }

    /** Polls server state that no future reports (what the budget holds), for at most 15 s. */
    private static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting: " + what.get());
            }
            Thread.sleep(5);
        }
    }

    private static void awaitDone(Http2FrameClient.Stream s, String what, MappingBudget budget) throws Exception {
        try {
            s.done.get(SERVED_WITHIN_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            fail(what + " not done within " + SERVED_WITHIN_SECONDS + " s (headers: " + s.headers.isDone() + ", "
                    + s.received.get() + " bytes): " + budget + ", " + budget.waiting() + " waiting");
        }
    }

    @ParameterizedTest(name = "{0} connections x {1} streams")
    @CsvSource({"30, 100", "100, 2", "2, 100"})
    void slowHttp2ClientsHoldOnlyTheirConnectionsShareAndAFreshClientIsServed(int connections, int streams) throws Exception {
        MappingBudget budget = MappingBudget.of(256, 256L << 20);
        FileServer server = start(budget, Duration.ofSeconds(5));
        MappingStats.resetPeak();
        List<Http2FrameClient.Stream> slow = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            Http2FrameClient client = slowClient(server, 1024); // 1 KiB per stream, never a WINDOW_UPDATE
            for (int i = 0; i < streams; i++) {
                slow.add(client.get("/big.bin"));
            }
        }
        // Every connection maps as many windows as its own limit allows, and its other streams wait for those.
        int held = connections * Math.min(PER_CONNECTION_WINDOWS, streams);
        await(() -> budget.liveWindows() >= held, () -> "slow clients to map " + held + " windows: " + budget);

        Http2FrameClient fresh = fastClient(server);
        long started = System.nanoTime();
        Http2FrameClient.Stream download = fresh.get("/data.bin");
        awaitDone(download, "a fresh client's download of " + FRESH_SIZE + " bytes", budget);
        assertEquals("200", download.status());
        assertTrue(download.endStream, "the download ended normally");
        assertArrayEquals(TestFiles.expected(0, FRESH_SIZE), download.bytes());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(SERVED_WITHIN_SECONDS));

        // What the slow clients hold: their connections' share, each stream a window as small as its client's 1 KiB
        // window allows (64 KiB), not the server's 1 MiB window size; never more than the budget.
        // (the fresh client's last window is unmapped when its write completes, which the client may see a bit later)
        await(() -> budget.liveWindows() == held, () -> "windows held by the slow clients, expected " + held + ": " + budget);
        long perWindow = PeerWindow.MIN_WINDOW + PAGE;
        assertTrue(budget.mappedBytes() <= held * perWindow, () -> "slow streams hold more than their clients let through: "
                + budget);
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= (connections + 1) * PER_CONNECTION_BYTES && peak <= budget.maxBytes(),
                () -> "peak mapped bytes " + peak + " over " + (connections + 1) + " connections' share");
        await(() -> slow.stream().filter(s -> s.headers.isDone()).count() == held,
                () -> slow.stream().filter(s -> s.headers.isDone()).count() + " slow streams have headers, expected " + held);
        assertTrue(slow.stream().noneMatch(s -> s.done.isDone()),
                "a stream waiting for its own connection's windows is neither refused nor reset");
    }

    @Test
    void onceTheBudgetStaysSpentPastTheWaitANewRequestIsAnswered503OverHttp2AndHttp11() throws Exception {
        MappingBudget budget = MappingBudget.of(2 * PER_CONNECTION_WINDOWS, 256L << 20);
        Duration wait = Duration.ofMillis(500);
        FileServer server = start(budget, wait);
        for (int c = 0; c < 2; c++) {
            Http2FrameClient client = slowClient(server, 1024);
            for (int i = 0; i < 10; i++) {
                client.get("/big.bin");
            }
        }
        await(() -> budget.liveWindows() == budget.maxWindows(), () -> "slow clients to spend the budget: " + budget);

        Http2FrameClient fresh = fastClient(server);
        long started = System.nanoTime();
        Http2FrameClient.Stream refused = fresh.get("/data.bin");
        awaitDone(refused, "a request on a spent budget", budget);
        assertTrue(System.nanoTime() - started >= wait.toNanos(), "refused before the budget wait was over");
        assertEquals("503", refused.status());
        assertEquals("1", String.valueOf(refused.headers.get().get("retry-after")));
        assertTrue(refused.endStream, "a complete 503, not a reset");
        assertTrue(new String(refused.bytes(), StandardCharsets.UTF_8).startsWith("503 Service Unavailable"));
        // The connection lives on: a request that needs no window is answered on it.
        Http2FrameClient.Stream unmapped = fresh.get("/no-such-file");
        awaitDone(unmapped, "a request after the 503", budget);
        assertEquals("404", unmapped.status());

        try (RawHttp http1 = new RawHttp(server.port())) {
            RawHttp.Response r = http1.request("GET", "/data.bin");
            assertEquals(503, r.status());
            assertEquals("1", r.header("retry-after"));
            assertTrue(new String(r.body(), StandardCharsets.UTF_8).startsWith("503 Service Unavailable"));
            assertEquals(200, http1.request("HEAD", "/data.bin").status(), "and the connection is kept alive");
        }
        assertEquals(0, budget.waiting(), "refused requests leave the queue");
        assertEquals(budget.maxWindows(), budget.liveWindows(), "the slow clients still hold what they held");
    }

    @Test
    void aBodyAlreadyStartedWhoseNextWindowWaitsPastTheTimeoutIsResetNotLeftHanging() throws Exception {
        MappingBudget budget = MappingBudget.of(2, 256L << 20);
        FileServer server = start(budget, Duration.ofMillis(500));
        slowClient(server, 1024).get("/big.bin"); // holds one window for the whole test
        await(() -> budget.liveWindows() == 1, budget::toString);
        Http2FrameClient started = slowClient(server, 16 << 10);
        Http2FrameClient.Stream body = started.get("/big.bin"); // its first window: 16 KiB of it get through
        await(() -> body.received.get() == 16 << 10, () -> body.received + " bytes received");
        slowClient(server, 1024).get("/big.bin"); // queued for the budget, ahead of the started body's next window
        await(() -> budget.waiting() == 1, budget::toString);

        while (body.received.get() < PeerWindow.MIN_WINDOW) { // the first window goes out; its share goes to the queued stream
            long before = body.received.get();
            started.returnReceived(body);
            await(() -> body.received.get() > before || body.done.isDone(), () -> body.received + " bytes received");
        }
        awaitDone(body, "a started body whose next window cannot be mapped", budget);
        assertEquals("200", body.status());
        assertFalse(body.endStream, "a body cut short must never end the stream normally");
        assertEquals(Http2Error.INTERNAL_ERROR.code(), body.resetCode, () -> "stream ended with " + body.received + " bytes, "
                + "end of stream " + body.endStream + ", " + budget + ", " + budget.waiting() + " waiting");
        assertTrue(body.received.get() >= PeerWindow.MIN_WINDOW, "its first window was sent: " + body.received);
        assertEquals(2, budget.liveWindows(), "the two slow streams hold the budget: " + budget);
        assertEquals(0, budget.waiting());
    }

    @Test
    void slowHttp11ReadersHoldTheirConnectionsShareAndAFreshReaderIsServed() throws Exception {
        int readers = 40;
        MappingBudget budget = MappingBudget.of(48, 256L << 20);
        FileServer server = start(budget, Duration.ofSeconds(5));
        for (int i = 0; i < readers; i++) {
            RawHttp reader = new RawHttp(server.port(), 4096);
            closeLast.add(reader);
            reader.send("GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n");
            assertEquals(200, reader.readHead().status()); // and then reads nothing
        }
        await(() -> budget.liveWindows() >= readers, () -> "slow readers to map a window each: " + budget);

        long started = System.nanoTime();
        try (RawHttp fresh = new RawHttp(server.port())) {
            RawHttp.Response r = fresh.request("GET", "/data.bin");
            assertEquals(200, r.status());
            assertArrayEquals(TestFiles.expected(0, FRESH_SIZE), r.body());
        }
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(SERVED_WITHIN_SECONDS));
        // A reader that stopped holds the one window it is stuck in: with maxBytesInFlight = windowSize the next is
        // asked for only once the current one is written, and no window is read ahead.
        await(() -> budget.liveWindows() == readers, () -> "one window per stalled reader: " + budget);
        assertTrue(budget.mappedBytes() <= readers * (WINDOW + PAGE), budget::toString);
    }

    @Test
    void theConnectionLimitsAndTheBudgetWaitRefuseNonsenseNamingTheValue() {
        FileServerOptions d = FileServerOptions.defaults(root);
        assertEquals(32L << 20, d.maxBytesInFlightPerConnection());
        assertEquals(16, d.maxWindowsPerConnection());
        assertEquals(Duration.ofSeconds(5), d.budgetWaitTimeout());
        assertEquals(MappingBudget.global(), d.mappingBudget());
        IllegalArgumentException bytes = assertThrows(IllegalArgumentException.class, () -> d.withMaxBytesInFlightPerConnection(0));
        assertTrue(bytes.getMessage().startsWith("maxBytesInFlightPerConnection must be >= 1 (got 0)"), bytes.getMessage());
        IllegalArgumentException windows = assertThrows(IllegalArgumentException.class, () -> d.withMaxWindowsPerConnection(-3));
        assertTrue(windows.getMessage().startsWith("maxWindowsPerConnection must be >= 1 (got -3)"), windows.getMessage());
        IllegalArgumentException wait = assertThrows(IllegalArgumentException.class, () -> d.withBudgetWaitTimeout(Duration.ZERO));
        assertEquals("budgetWaitTimeout must be positive (got PT0S)", wait.getMessage());
        assertThrows(NullPointerException.class, () -> d.withBudgetWaitTimeout(null));
        assertThrows(NullPointerException.class, () -> d.withMappingBudget(null));
    }
}
