package io.reactivemmap.netty.http;

import io.netty.handler.codec.http2.Http2Error;
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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

import static io.reactivemmap.netty.http.RawHttp2.CONTINUATION;
import static io.reactivemmap.netty.http.RawHttp2.DATA;
import static io.reactivemmap.netty.http.RawHttp2.END_HEADERS;
import static io.reactivemmap.netty.http.RawHttp2.END_STREAM;
import static io.reactivemmap.netty.http.RawHttp2.GOAWAY;
import static io.reactivemmap.netty.http.RawHttp2.HEADERS;
import static io.reactivemmap.netty.http.RawHttp2.PING;
import static io.reactivemmap.netty.http.RawHttp2.PRIORITY;
import static io.reactivemmap.netty.http.RawHttp2.PUSH_PROMISE;
import static io.reactivemmap.netty.http.RawHttp2.RST_STREAM;
import static io.reactivemmap.netty.http.RawHttp2.SETTINGS;
import static io.reactivemmap.netty.http.RawHttp2.SETTINGS_ENABLE_PUSH;
import static io.reactivemmap.netty.http.RawHttp2.SETTINGS_INITIAL_WINDOW_SIZE;
import static io.reactivemmap.netty.http.RawHttp2.SETTINGS_MAX_FRAME_SIZE;
import static io.reactivemmap.netty.http.RawHttp2.WINDOW_UPDATE;
import static io.reactivemmap.netty.http.RawHttp2.block;
import static io.reactivemmap.netty.http.RawHttp2.frameBytes;
import static io.reactivemmap.netty.http.RawHttp2.int32;
import static io.reactivemmap.netty.http.RawHttp2.settingsPayload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * RFC 9113 errors through the real {@link FileServer#start}, frame by frame over a socket ({@link RawHttp2}): a
 * connection error is a GOAWAY with its own code and the last stream the server processed, then the close; a stream
 * error resets the stream with its own code and the connection serves on; a malformed request is a stream error
 * PROTOCOL_ERROR; a flood is logged in one line, not once per attacking connection. Every test ends with no window
 * mapped and no leaked buffer.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(60)
class Http2ProtocolErrorsTest {
    /** Above SmallBodySender's copy threshold (sent as mapped windows) and above the connection's 64 KiB window. */
    private static final int BIG = 1 << 20;
    private static final int SMALL = 1000;
    private static final int MAX_WINDOW = 0x7fff_ffff;

    @TempDir
    Path root;
    private FileServer server;

    @BeforeEach
    void files() throws IOException {
        TestFiles.pattern(root, "big.bin", BIG);
        TestFiles.pattern(root, "small.bin", SMALL);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private FileServer start(boolean tls) throws IOException {
        FileServerOptions options = FileServerOptions.defaults(root).withPort(0).withIoThreads(1).withWindowSize(64 << 10)
                .withMaxBytesInFlight(256 << 10);
        server = FileServer.start(tls ? options.withTls(TlsOptions.selfSigned()) : options);
        return server;
    }

    private RawHttp2 connect(boolean tls, long... settings) throws Exception {
        return (tls ? RawHttp2.tls(start(true).port()) : RawHttp2.plain(start(false).port())).start(settings);
    }

    /** What a test client does wrong, on a connection whose stream 1 has been answered. */
    @FunctionalInterface
    interface Offence {
        void commit(RawHttp2 c) throws IOException;
    }

    private static Arguments connectionError(String name, Http2Error expected, int lastStreamId, Offence offence) {
        return Arguments.of(name, expected, lastStreamId, offence);
    }

    static Stream<Arguments> connectionErrors() {
        return Stream.of(
                connectionError("WINDOW_UPDATE overflowing the connection window", Http2Error.FLOW_CONTROL_ERROR, 1,
                        c -> c.frame(WINDOW_UPDATE, 0, 0, int32(MAX_WINDOW))),
                connectionError("SETTINGS_INITIAL_WINDOW_SIZE of 2^31", Http2Error.FLOW_CONTROL_ERROR, 1,
                        c -> c.frame(SETTINGS, 0, 0, settingsPayload(SETTINGS_INITIAL_WINDOW_SIZE, 1L << 31))),
                connectionError("SETTINGS_MAX_FRAME_SIZE below 16384", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(SETTINGS, 0, 0, settingsPayload(SETTINGS_MAX_FRAME_SIZE, 16_383))),
                connectionError("SETTINGS_ENABLE_PUSH of 2", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(SETTINGS, 0, 0, settingsPayload(SETTINGS_ENABLE_PUSH, 2))),
                connectionError("SETTINGS of 5 bytes", Http2Error.FRAME_SIZE_ERROR, 1,
                        c -> c.frame(SETTINGS, 0, 0, new byte[5])),
                connectionError("SETTINGS on a stream", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(SETTINGS, 0, 1, new byte[0])),
                connectionError("PING of 7 bytes", Http2Error.FRAME_SIZE_ERROR, 1,
                        c -> c.frame(PING, 0, 0, new byte[7])),
                connectionError("DATA on an idle stream", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(DATA, 0, 5, new byte[10])),
                connectionError("HEADERS on an even stream", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.get(2, "/small.bin")),
                connectionError("a frame larger than SETTINGS_MAX_FRAME_SIZE", Http2Error.FRAME_SIZE_ERROR, 1,
                        c -> c.frame(HEADERS, END_HEADERS | END_STREAM, 3, new byte[16_385])),
                connectionError("a header block HPACK cannot decode", Http2Error.COMPRESSION_ERROR, 1,
                        c -> c.frame(HEADERS, END_HEADERS | END_STREAM, 3, new byte[] {(byte) 0x80})), // index 0
                connectionError("a header block past the limit across CONTINUATION frames", Http2Error.PROTOCOL_ERROR, 1,
                        c -> {
                            c.frame(HEADERS, END_STREAM, 3, new byte[16_000]);
                            c.frame(CONTINUATION, END_HEADERS, 3, new byte[16_000]);
                        }),
                connectionError("CONTINUATION without HEADERS", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(CONTINUATION, END_HEADERS, 3, block(":method", "GET"))),
                connectionError("a PING inside a header block", Http2Error.PROTOCOL_ERROR, 1, c -> {
                    c.frame(HEADERS, END_STREAM, 3, block(":method", "GET", ":scheme", "http"));
                    c.frame(PING, 0, 0, new byte[8]);
                }),
                connectionError("WINDOW_UPDATE of 0 on the connection", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(WINDOW_UPDATE, 0, 0, int32(0))),
                connectionError("WINDOW_UPDATE of 3 bytes", Http2Error.FRAME_SIZE_ERROR, 1,
                        c -> c.frame(WINDOW_UPDATE, 0, 0, new byte[3])),
                connectionError("RST_STREAM on an idle stream", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(RST_STREAM, 0, 9, int32(Http2Error.CANCEL.code()))),
                connectionError("PUSH_PROMISE from a client", Http2Error.PROTOCOL_ERROR, 1, c -> {
                    ByteArrayOutputStream p = new ByteArrayOutputStream();
                    p.writeBytes(int32(2));
                    p.writeBytes(block(":method", "GET", ":scheme", "http", ":path", "/small.bin"));
                    c.frame(PUSH_PROMISE, END_HEADERS, 1, p.toByteArray());
                }),
                connectionError("GOAWAY on a stream", Http2Error.PROTOCOL_ERROR, 1,
                        c -> c.frame(GOAWAY, 0, 1, new byte[8])),
                // floods: Netty's limits, each answered with ENHANCE_YOUR_CALM
                connectionError("RST_STREAM flood (201 streams opened and reset)", Http2Error.ENHANCE_YOUR_CALM, 403,
                        c -> c.write(rstFlood(3, 201))),
                connectionError("empty DATA frames", Http2Error.ENHANCE_YOUR_CALM, 3, c -> {
                    c.replenish = false;
                    c.headers(3, false, ":method", "GET", ":scheme", "http", ":path", "/big.bin", "content-length", "0");
                    c.responseHeaders(3); // the body waits for the connection's window: the stream stays open
                    for (int i = 0; i < 5; i++) {
                        c.frame(DATA, 0, 3, new byte[0]);
                    }
                }),
                connectionError("empty CONTINUATION frames", Http2Error.ENHANCE_YOUR_CALM, 1, c -> {
                    c.frame(HEADERS, END_STREAM, 3, block(":method", "GET"));
                    for (int i = 0; i < 40; i++) {
                        c.frame(CONTINUATION, 0, 3, new byte[0]);
                    }
                }));
    }

    /** {@code n} streams from {@code first} on, each opened with a GET of big.bin and reset at once, in one buffer. */
    private static byte[] rstFlood(int first, int n) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0, stream = first; i < n; i++, stream += 2) {
            b.writeBytes(frameBytes(HEADERS, END_HEADERS | END_STREAM, stream,
                    block(":method", "GET", ":scheme", "http", ":path", "/big.bin")));
            b.writeBytes(frameBytes(RST_STREAM, 0, stream, int32(Http2Error.CANCEL.code())));
        }
        return b.toByteArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("connectionErrors")
    void aConnectionErrorIsAGoAwayWithItsCodeAndTheLastStreamProcessedThenTheClose(String name, Http2Error expected,
                                                                                     int lastStreamId, Offence offence)
            throws Exception {
        try (RawHttp2 c = connect(false)) {
            c.get(1, "/small.bin");
            assertEquals("200", c.response(1).status());
            offence.commit(c);
            RawHttp2.GoAway goAway = c.goAway();
            assertEquals(expected.code(), goAway.errorCode(), name + ": " + goAway);
            assertEquals(lastStreamId, goAway.lastStreamId(), name + ": " + goAway);
            c.awaitClose();
        }
    }

    @Test
    void overTlsAConnectionErrorIsAGoAwayWithItsCodeToo() throws Exception {
        try (RawHttp2 c = connect(true)) {
            c.get(1, "/small.bin");
            assertEquals("200", c.response(1).status());
            c.frame(WINDOW_UPDATE, 0, 0, int32(MAX_WINDOW));
            RawHttp2.GoAway goAway = c.goAway();
            assertEquals(Http2Error.FLOW_CONTROL_ERROR.code(), goAway.errorCode(), goAway.toString());
            assertEquals(1, goAway.lastStreamId(), goAway.toString());
            c.awaitClose();
        }
    }

    @Test
    void aConnectionErrorBeforeAnyStreamNamesStreamZero() throws Exception {
        try (RawHttp2 c = connect(false)) {
            c.frame(DATA, 0, 1, new byte[1]);
            RawHttp2.GoAway goAway = c.goAway();
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), goAway.errorCode(), goAway.toString());
            assertEquals(0, goAway.lastStreamId(), "no stream was processed: " + goAway);
            c.awaitClose();
        }
    }

    static Stream<Arguments> streamErrors() {
        return Stream.of(
                Arguments.of("WINDOW_UPDATE overflowing the stream's window", Http2Error.FLOW_CONTROL_ERROR,
                        (Offence) c -> c.frame(WINDOW_UPDATE, 0, 1, int32(MAX_WINDOW))),
                Arguments.of("WINDOW_UPDATE of 0 on the stream", Http2Error.PROTOCOL_ERROR,
                        (Offence) c -> c.frame(WINDOW_UPDATE, 0, 1, int32(0))),
                Arguments.of("PRIORITY of 4 bytes", Http2Error.FRAME_SIZE_ERROR,
                        (Offence) c -> c.frame(PRIORITY, 0, 1, new byte[4])),
                Arguments.of("PRIORITY on which the stream depends on itself", Http2Error.PROTOCOL_ERROR,
                        (Offence) c -> c.frame(PRIORITY, 0, 1, new byte[] {0, 0, 0, 1, 16})),
                Arguments.of("DATA after the client ended the stream", Http2Error.STREAM_CLOSED,
                        (Offence) c -> c.frame(DATA, 0, 1, new byte[10])),
                // (RFC 9113 §5.1 would allow STREAM_CLOSED as well; Netty's code is PROTOCOL_ERROR, a second trailer)
                Arguments.of("a second header section after the client ended the stream", Http2Error.PROTOCOL_ERROR,
                        (Offence) c -> c.headers(1, true, "x-trailer", "1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("streamErrors")
    void aStreamErrorMidBodyResetsTheStreamWithItsOwnCodeAndTheConnectionServesOn(String name, Http2Error expected,
                                                                                   Offence offence) throws Exception {
        // Streams may take 1 MiB but the connection's window stays at 64 KiB: the body stops part-way, windows mapped.
        try (RawHttp2 c = connect(false, SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20)) {
            c.replenish = false;
            c.get(1, "/big.bin");
            assertEquals("200", c.responseHeaders(1).status().toString());
            offence.commit(c);
            RawHttp2.Response r = c.response(1);
            assertFalse(r.endStream(), name + ": the body must not end normally");
            assertEquals(expected.code(), r.resetCode(), name);
            assertServesOn(c, 3);
        }
    }

    /** A GET on {@code stream} is answered in full (the connection's window given back first). */
    private static void assertServesOn(RawHttp2 c, int stream) throws IOException {
        c.replenish = true;
        c.frame(WINDOW_UPDATE, 0, 0, int32(1 << 20));
        c.get(stream, "/small.bin");
        RawHttp2.Response ok = c.response(stream);
        assertEquals("200", ok.status(), "the connection serves on");
        assertEquals(SMALL, ok.bodyBytes());
        assertTrue(ok.endStream());
    }

    private static final String[] WELL_FORMED = {":method", "GET", ":scheme", "http", ":authority", "localhost",
            ":path", "/small.bin"};

    private static String[] with(String... more) {
        String[] h = Arrays.copyOf(WELL_FORMED, WELL_FORMED.length + more.length);
        System.arraycopy(more, 0, h, WELL_FORMED.length, more.length);
        return h;
    }

    private static String[] without(String pseudo) {
        List<String> h = new ArrayList<>();
        for (int i = 0; i < WELL_FORMED.length; i += 2) {
            if (!WELL_FORMED[i].equals(pseudo)) {
                h.add(WELL_FORMED[i]);
                h.add(WELL_FORMED[i + 1]);
            }
        }
        return h.toArray(String[]::new);
    }

    private static String[] replacing(String pseudo, String value) {
        String[] h = WELL_FORMED.clone();
        for (int i = 0; i < h.length; i += 2) {
            if (h[i].equals(pseudo)) {
                h[i + 1] = value;
            }
        }
        return h;
    }

    static Stream<Arguments> malformedRequests() {
        return Stream.of(
                Arguments.of("no :method", without(":method")),
                Arguments.of("no :scheme", without(":scheme")),
                Arguments.of("no :path", without(":path")),
                Arguments.of("empty :method", replacing(":method", "")),
                Arguments.of("empty :scheme", replacing(":scheme", "")),
                Arguments.of("empty :path", replacing(":path", "")),
                Arguments.of(":path without a leading slash", replacing(":path", "small.bin")),
                Arguments.of(":path * for a GET", replacing(":path", "*")),
                Arguments.of("two :method", with(":method", "GET")),
                Arguments.of("two :scheme", with(":scheme", "https")),
                Arguments.of("two :path", with(":path", "/small.bin")),
                Arguments.of("two :authority", with(":authority", "localhost")),
                Arguments.of("an unknown pseudo-header", with(":foo", "bar")),
                Arguments.of(":status in a request", with(":status", "200")),
                Arguments.of(":status alone", new String[] {":status", "200"}),
                Arguments.of(":protocol without extended CONNECT", with(":protocol", "websocket")),
                Arguments.of("a pseudo-header after a regular one",
                        new String[] {":method", "GET", ":scheme", "http", "accept", "*/*", ":path", "/small.bin"}),
                Arguments.of("connection", with("connection", "keep-alive")),
                Arguments.of("keep-alive", with("keep-alive", "timeout=5")),
                Arguments.of("proxy-connection", with("proxy-connection", "keep-alive")),
                Arguments.of("transfer-encoding", with("transfer-encoding", "chunked")),
                Arguments.of("upgrade", with("upgrade", "h2c")),
                Arguments.of("te other than trailers", with("te", "gzip")),
                Arguments.of("an upper-case name", with("Accept", "*/*")),
                Arguments.of("a name with a space", with("x a", "1")),
                Arguments.of("a name with a colon inside", with("x:a", "1")),
                Arguments.of("a name with a control character", with("x\u0001a", "1")),
                Arguments.of("a name with a byte above 0x7e", with("x\u00e9", "1")),
                Arguments.of("an empty name", with("", "1")),
                Arguments.of("a value with CR LF", with("x-a", "b\r\nx-b: c")),
                Arguments.of("a value with a NUL", with("x-a", "b\u0000c")),
                Arguments.of("a value with a leading space", with("x-a", " b")),
                Arguments.of("a value with a trailing tab", with("x-a", "b\t")),
                Arguments.of("host other than :authority", with("host", "other.example")),
                Arguments.of("CONNECT with :scheme and :path",
                        new String[] {":method", "CONNECT", ":scheme", "http", ":authority", "localhost:443", ":path", "/"}),
                Arguments.of("CONNECT without :authority", new String[] {":method", "CONNECT"}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedRequests")
    void aMalformedRequestIsResetWithProtocolErrorAndTheConnectionServesOn(String name, String[] headers) throws Exception {
        try (RawHttp2 c = connect(false)) {
            c.headers(1, true, headers);
            RawHttp2.Response r = c.response(1);
            assertNull(r.headers(), name + ": a malformed request gets no response, got " + r.headers());
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), r.resetCode(), name);
            assertServesOn(c, 3);
        }
    }

    static Stream<Arguments> wellFormedRequests() {
        return Stream.of(
                Arguments.of("te: trailers", with("te", "trailers"), "200"),
                Arguments.of("host equal to :authority", with("host", "localhost"), "200"),
                Arguments.of("host and no :authority", new String[] {":method", "GET", ":scheme", "http",
                        ":path", "/small.bin", "host", "localhost"}, "200"),
                Arguments.of("no host and no :authority", without(":authority"), "200"),
                Arguments.of("a value with inner spaces and tabs", with("user-agent", "a b\tc"), "200"),
                Arguments.of("a query", replacing(":path", "/small.bin?x=1"), "200"),
                Arguments.of("OPTIONS *", new String[] {":method", "OPTIONS", ":scheme", "http", ":authority", "localhost",
                        ":path", "*"}, "204"), // answered by the exchange, as over HTTP/1.1
                Arguments.of("a well-formed CONNECT", new String[] {":method", "CONNECT", ":authority", "localhost:443"},
                        "405"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("wellFormedRequests")
    void aWellFormedRequestIsAnswered(String name, String[] headers, String status) throws Exception {
        try (RawHttp2 c = connect(false)) {
            c.headers(1, true, headers);
            RawHttp2.Response r = c.response(1);
            assertEquals(status, r.status(), name);
            assertTrue(r.endStream(), name);
        }
    }

    @Test
    void overTlsAMalformedRequestIsResetToo() throws Exception {
        try (RawHttp2 c = connect(true)) {
            c.headers(1, true, without(":scheme"));
            RawHttp2.Response r = c.response(1);
            assertNull(r.headers());
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), r.resetCode());
            assertServesOn(c, 3);
        }
    }

    /** Records what reaches the {@code io.netty} and {@code io.reactivemmap} loggers at INFO and above. */
    private static final class Capture extends Handler implements AutoCloseable {
        /** Held strongly: java.util.logging forgets a logger (and its handlers) that is garbage-collected. */
        private final List<Logger> loggers = List.of(Logger.getLogger("io.netty"), Logger.getLogger("io.reactivemmap"));
        final List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();

        Capture() {
            setLevel(Level.INFO);
            loggers.forEach(l -> l.addHandler(this));
        }

        @Override
        public void publish(LogRecord r) {
            if (isLoggable(r) && !r.getLoggerName().equals("io.reactivemmap.netty.http.access")) {
                records.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            loggers.forEach(l -> l.removeHandler(this));
        }
    }

    /**
     * PINGs (or empty SETTINGS) as fast as the socket takes them, never reading the acknowledgements, until the server
     * ends the connection; returns the number of frames sent. The server must end it: it would otherwise queue an
     * acknowledgement per frame without bound.
     */
    private static long controlFlood(int port, int type, ExecutorService writer) throws Exception {
        byte[] batch;
        try (ByteArrayOutputStream b = new ByteArrayOutputStream()) {
            for (int i = 0; i < 1000; i++) {
                b.writeBytes(frameBytes(type, 0, 0, new byte[type == PING ? 8 : 0]));
            }
            batch = b.toByteArray();
        }
        try (RawHttp2 c = RawHttp2.plainNotReading(port).start()) {
            Future<Long> sent = writer.submit(() -> {
                long frames = 0;
                try {
                    for (int i = 0; i < 5_000; i++) {
                        c.write(batch);
                        frames += 1000;
                    }
                } catch (IOException closedByServer) {
                    return frames;
                }
                return -frames;
            });
            try {
                long frames = sent.get(60, TimeUnit.SECONDS);
                assertTrue(frames > 0, "the server never ended a connection that sent " + -frames + " frames unread");
                c.awaitClose();
                return frames;
            } catch (TimeoutException e) {
                fail("the server neither read nor ended a flooding connection");
                return 0;
            }
        }
    }

    @Test
    @Timeout(240)
    void controlFrameFloodsFromManyConnectionsAreLoggedInAFewLinesWithoutStackTraces() throws Exception {
        FileServer s = start(false);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (Capture log = new Capture()) {
            long start = System.nanoTime();
            // (each takes some 400,000 frames: the kernel's socket buffers take megabytes of acknowledgements first)
            controlFlood(s.port(), PING, writer);
            controlFlood(s.port(), PING, writer);
            controlFlood(s.port(), SETTINGS, writer);
            for (int i = 0; i < 3; i++) {
                try (RawHttp2 c = RawHttp2.plain(s.port()).start()) {
                    c.write(rstFlood(1, 201));
                    c.awaitClose(); // (its GOAWAY is checked by aConnectionErrorIsAGoAway...)
                }
            }
            long elapsed = System.nanoTime() - start;
            List<LogRecord> lines = log.records;
            StringBuilder all = new StringBuilder();
            for (LogRecord r : lines) {
                all.append(r.getLevel()).append(' ').append(r.getLoggerName()).append(": ").append(r.getMessage())
                        .append(r.getThrown() == null ? "" : " [" + r.getThrown() + "]").append('\n');
            }
            assertFalse(lines.isEmpty(), "the floods were not logged at all");
            for (LogRecord r : lines) {
                assertNull(r.getThrown(), "a stack trace in the log:\n" + all);
                assertFalse(r.getMessage().contains("\n"), "one line per record:\n" + all);
            }
            long allowed = 1 + elapsed / Http2Server.FLOOD_LOG_INTERVAL.toNanos();
            assertTrue(lines.size() <= allowed, "6 flooding connections in " + elapsed / 1_000_000 + " ms, at most "
                    + allowed + " lines expected:\n" + all);
        } finally {
            writer.shutdownNow();
        }
    }
}
