package io.reactivemmap.netty.spring;

import io.netty.buffer.ByteBuf;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.RangeLimits;
import io.reactivemmap.netty.http.RootDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebFlux on a real Reactor Netty server: what reaches the socket is mapped memory, a client that disconnects
 * mid-download leaves no window mapped, and a client that stops reading holds no more than {@code maxLiveBytes}.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class SpringCancellationTest {
    private static final int WINDOW = 1 << 20;
    private static final long SIZE = 64L * WINDOW;
    private static final long MAX_LIVE = 4L * WINDOW;

    @TempDir
    Path dir;

    private SpringServer server;
    private final List<String> bodyBuffers = new CopyOnWriteArrayList<>();
    private final AtomicInteger bodiesWritten = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        TestFiles.sparse(root, "big.bin", SIZE); // no disk cost; the test is about mappings, not bytes
        TestFiles.pattern(root, "small.bin", 3L * WINDOW + 7);
        MappedFileHandler files = MappedFileHandler.of(RootDirectory.of(root, false, false),
                MapOptions.defaults().withWindowSize(WINDOW).withMaxLiveBytes(MAX_LIVE), RangeLimits.DEFAULT);
        HttpHandler app = RouterFunctions.toHttpHandler(RouterFunctions.route(RequestPredicates.path("/**"), files));
        // Records what the handler hands to ServerHttpResponse.writeWith, to show it is mapped memory end to end.
        HttpHandler recording = (request, response) -> app.handle(request, new ServerHttpResponseDecorator(response) {
            @Override
            public Mono<Void> writeWith(Publisher<? extends DataBuffer> body) {
                bodiesWritten.incrementAndGet();
                return super.writeWith(Flux.from(body).doOnNext(b -> bodyBuffers.add(describe(b))));
            }
        });
        server = SpringServer.start(recording);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String describe(DataBuffer b) {
        if (b instanceof NettyDataBuffer n) {
            ByteBuf nativeBuffer = n.getNativeBuffer();
            return nativeBuffer.getClass().getSimpleName() + ":" + b.readableByteCount();
        }
        return b.getClass().getSimpleName() + ":" + b.readableByteCount();
    }

    @Test
    void onReactorNettyEveryFileByteIsWrittenFromAMappedByteBuf() throws Exception {
        WireHttp.Response whole = WireHttp.exchange(server.port(), "GET", "/small.bin");
        assertEquals(200, whole.status());
        assertEquals(3L * WINDOW + 7, whole.body().length);
        // an empty buffer first (MappedDataBuffers.responseBody), then one mapped buffer per window
        assertEquals(List.of("EmptyByteBuf:0", "MappedByteBuf:" + WINDOW, "MappedByteBuf:" + WINDOW, "MappedByteBuf:" + WINDOW, "MappedByteBuf:7"),
                bodyBuffers);

        bodyBuffers.clear();
        WireHttp.Response multi = WireHttp.exchange(server.port(), "GET", "/small.bin", "Range: bytes=0-99,100000-" + (100000 + WINDOW + 9));
        assertEquals(206, multi.status());
        List<Multipart.Part> parts = Multipart.parse(multi.body(), Multipart.boundary(multi.header("Content-Type")));
        assertEquals(2, parts.size());
        for (Multipart.Part p : parts) {
            for (int i = 0; i < p.bytes().length; i++) {
                if (p.bytes()[i] != TestFiles.byteAt(p.first() + i)) {
                    throw new AssertionError("part " + p.first() + "-" + p.last() + ": byte " + (p.first() + i) + " differs");
                }
            }
        }
        // framing, 100 bytes, framing, the second range in windows counted from its own start, closing delimiter
        List<String> kinds = bodyBuffers.stream().map(s -> s.substring(0, s.indexOf(':'))).toList();
        assertEquals("MappedByteBuf", kinds.get(2));
        assertEquals(List.of("MappedByteBuf:100", "MappedByteBuf:" + WINDOW, "MappedByteBuf:10"),
                bodyBuffers.stream().filter(s -> s.startsWith("MappedByteBuf")).toList());
        assertEquals(List.of("EmptyByteBuf", "UnpooledHeapByteBuf", "MappedByteBuf", "UnpooledHeapByteBuf", "MappedByteBuf",
                "MappedByteBuf", "UnpooledHeapByteBuf"), kinds, "empty guard, framing, part, framing, part, closing delimiter");
    }

    @Test
    void aClientThatDisconnectsMidDownloadLeavesNoWindowMapped() throws Exception {
        for (String[] request : List.of(new String[0], new String[] {"Range: bytes=0-33554431,33554532-67108000"})) {
            long mappedBefore = MappingStats.snapshot().windowsMapped();
            try (Socket socket = WireHttp.open(server.port())) {
                WireHttp.send(socket, "GET", "/big.bin", false, request);
                InputStream in = socket.getInputStream();
                Map<String, String> headers = new HashMap<>();
                assertEquals(request.length == 0 ? 200 : 206, WireHttp.readHead(in, headers));
                assertEquals(3 * WINDOW, WireHttp.readN(in, 3 * WINDOW).length);
            } // closed after 3 of 64 MiB
            NoLeakedWindows.assertNothingMapped();
            long mapped = MappingStats.snapshot().windowsMapped() - mappedBefore;
            assertTrue(mapped >= 3 && mapped < 64, "the disconnect stopped the mapping: " + mapped + " windows were mapped");
        }
    }

    @Test
    void clientsThatLeaveBeforeTheFirstByteLeaveNoWindowMapped() throws Exception {
        // WebFlux's writeWith caches the first buffer before Reactor Netty's writer exists; if the connection is gone
        // by then, Reactor Netty never subscribes and nothing releases that buffer or cancels the source. Without
        // MappedDataBuffers.responseBody this left 2 windows mapped in every run of 300 resets on the 2-core machine.
        for (int i = 0; i < Integer.getInteger("rstRounds", 200); i++) {
            try (Socket socket = WireHttp.open(server.port())) {
                WireHttp.send(socket, "GET", "/big.bin", false, i % 2 == 0 ? new String[0] : new String[] {"Range: bytes=0-0,-1"});
                socket.setSoLinger(true, 0); // reset, not a graceful close
            }
        }
        server.close(); // also drops connections the server has not handled yet
        NoLeakedWindows.assertNothingMapped();
        System.out.println("bodies started by WebFlux before the client was gone: " + bodiesWritten.get() + "; " + MappingStats.snapshot());
    }

    @Test
    void aClientThatStopsReadingHoldsAtMostMaxLiveBytesMapped() throws Exception {
        try (Socket socket = WireHttp.open(server.port())) {
            socket.setReceiveBufferSize(64 * 1024);
            WireHttp.send(socket, "GET", "/big.bin", false);
            InputStream in = socket.getInputStream();
            assertEquals(200, WireHttp.readHead(in, new HashMap<>()));
            WireHttp.readN(in, WINDOW);
            long peak = 0;
            for (int i = 0; i < 20; i++) { // the client reads nothing for ~400 ms while the server wants to send
                Thread.sleep(20);
                peak = Math.max(peak, MappingStats.snapshot().mappedBytes());
            }
            // Reactor Netty asks WebFlux for 128 buffers; the window source still stops at maxLiveBytes.
            assertTrue(peak > 0 && peak <= MAX_LIVE, "mapped while the client stalled: " + peak + " bytes");
        }
        NoLeakedWindows.assertNothingMapped();
    }
}
