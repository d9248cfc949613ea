package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.WriteOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The plain Netty sample's handler on a real socket, in process on port 0: 256 KiB windows, so a 3 MiB file is sent
 * as a dozen windows through a 512 KiB in-flight budget.
 */
@ExtendWith(NoLeakedWindows.class)
@Timeout(60)
class NettyHttpFileMainTest {
    private static final int WINDOW = 256 << 10;
    private static final MapOptions MAP = MapOptions.defaults().withWindowSize(WINDOW).withMaxLiveBytes(2L * WINDOW)
            .withPopulateAhead(false);
    private static final WriteOptions WRITE = WriteOptions.defaults().withMaxBytesInFlight(512 << 10).withMaxChunkSize(64 << 10);
    private static final int SIZE = 3 * (1 << 20) + 12_345; // the last window is a partial one

    @TempDir
    Path dir;

    /** Byte i of a pattern file: a period of 251 (prime) so a shifted, repeated or zero-filled piece does not match. */
    private static byte byteAt(long i) {
        return (byte) (i % 251 + 1);
    }

    private Path pattern(String name, long size) throws IOException {
        Path file = dir.resolve(name);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            for (long i = 0; i < size; ) {
                buf.clear();
                while (buf.hasRemaining() && i < size) {
                    buf.put(byteAt(i++));
                }
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
        }
        return file;
    }

    @Test
    void getSendsTheWholeFileAsSeveralWindowsWithItsLengthAndType() throws Exception {
        Path file = pattern("data.bin", SIZE);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        try (NettyHttpFileMain.Server server = NettyHttpFileMain.Server.start(file, "127.0.0.1", 0, MAP, WRITE);
             HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/data.bin")).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, r.statusCode());
            assertEquals(String.valueOf(SIZE), r.headers().firstValue("content-length").orElseThrow());
            assertEquals("application/octet-stream", r.headers().firstValue("content-type").orElseThrow());
            assertArrayEquals(Files.readAllBytes(file), r.body());
        }
        long windows = MappingStats.snapshot().windowsMapped() - mappedBefore;
        assertEquals((SIZE + WINDOW - 1) / WINDOW, windows, "windows mapped for one GET");
    }

    @Test
    void headSendsTheHeadWithTheLengthAndNoBody() throws Exception {
        Path file = pattern("page.html", 100_000);
        long mappedBefore = MappingStats.snapshot().windowsMapped();
        try (NettyHttpFileMain.Server server = NettyHttpFileMain.Server.start(file, "127.0.0.1", 0, MAP, WRITE);
             Socket s = connect(server.port())) {
            send(s, "HEAD /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            byte[] all = s.getInputStream().readAllBytes(); // until the server closes: nothing may follow the head
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
            assertTrue(text.endsWith("\r\n\r\n"), "bytes after the head: " + text);
            Map<String, String> headers = headers(text.substring(0, text.length() - 4));
            assertEquals("100000", headers.get("content-length"));
            assertEquals("text/html; charset=utf-8", headers.get("content-type"));
        }
        assertEquals(0, MappingStats.snapshot().windowsMapped() - mappedBefore, "a HEAD maps nothing");
    }

    @Test
    void otherMethodsGet405WithAllowAndTheConnectionStaysUsable() throws Exception {
        Path file = pattern("data.bin", 1000);
        try (NettyHttpFileMain.Server server = NettyHttpFileMain.Server.start(file, "127.0.0.1", 0, MAP, WRITE);
             Socket s = connect(server.port())) {
            send(s, "POST /data.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            Response post = read(s.getInputStream());
            assertEquals(405, post.status());
            assertEquals("GET, HEAD", post.headers().get("allow"));
            assertEquals(0, post.body().length);
            send(s, "GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            Response get = read(s.getInputStream());
            assertEquals(200, get.status());
            assertArrayEquals(Files.readAllBytes(file), get.body());
        }
    }

    @Test
    void twoRequestsOnOneKeptAliveConnectionBothGetTheFile() throws Exception {
        Path file = pattern("data.bin", SIZE);
        byte[] expected = Files.readAllBytes(file);
        try (NettyHttpFileMain.Server server = NettyHttpFileMain.Server.start(file, "127.0.0.1", 0, MAP, WRITE);
             Socket s = connect(server.port())) {
            for (int i = 0; i < 2; i++) {
                send(s, "GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\n");
                Response r = read(s.getInputStream());
                assertEquals(200, r.status(), "request " + i);
                assertEquals(null, r.headers().get("connection"), "request " + i + " must not close: " + r.headers());
                assertArrayEquals(expected, r.body(), "request " + i);
            }
            // A client that asks to close gets its response, then the connection ends.
            send(s, "GET /data.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            Response last = read(s.getInputStream());
            assertEquals("close", last.headers().get("connection"));
            assertArrayEquals(expected, last.body());
            assertEquals(-1, s.getInputStream().read(), "the server closes after a Connection: close response");
        }
    }

    @Test
    void aClientThatAbortsMidBodyLeavesNoWindowMapped() throws Exception {
        long size = 32L << 20; // far more than the socket buffers hold: the server is still sending when the client goes
        Path file = pattern("big.bin", size);
        try (NettyHttpFileMain.Server server = NettyHttpFileMain.Server.start(file, "127.0.0.1", 0, MAP, WRITE)) {
            Socket s = new Socket();
            s.setReceiveBufferSize(64 << 10);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            s.setSoTimeout(10_000);
            send(s, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
            Response head = readHead(s.getInputStream());
            assertEquals(String.valueOf(size), head.headers().get("content-length"));
            byte[] some = s.getInputStream().readNBytes(1 << 20);
            for (int i = 0; i < some.length; i++) {
                if (some[i] != byteAt(i)) {
                    fail("byte " + i + " differs from the file");
                }
            }
            assertTrue(MappingStats.snapshot().liveWindows() > 0, "the body is mid-flight: windows are mapped");
            s.setSoLinger(true, 0); // abort: RST instead of FIN
            s.close();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (MappingStats.snapshot().liveWindows() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(0, MappingStats.snapshot().liveWindows(), "live windows after the abort, server still running");
            // The server is still fine for the next client.
            try (Socket next = connect(server.port())) {
                send(next, "HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, readHead(next.getInputStream()).status());
            }
        }
    }

    // ---- a minimal HTTP/1.1 client over a raw socket: keep-alive and the exact bytes on the wire are visible ----

    private record Response(int status, Map<String, String> headers, byte[] body) {
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        return s;
    }

    private static void send(Socket s, String request) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static Response readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed inside the head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(c);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        return new Response(Integer.parseInt(text.split(" ", 3)[1]), headers(text.strip()), new byte[0]);
    }

    /** A response with a Content-Length body. */
    private static Response read(InputStream in) throws IOException {
        Response head = readHead(in);
        int length = Integer.parseInt(head.headers().get("content-length"));
        byte[] body = in.readNBytes(length);
        assertEquals(length, body.length, "the body ended before Content-Length");
        return new Response(head.status(), head.headers(), body);
    }

    private static Map<String, String> headers(String head) {
        Map<String, String> headers = new LinkedHashMap<>();
        String[] lines = head.split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        return headers;
    }
}
