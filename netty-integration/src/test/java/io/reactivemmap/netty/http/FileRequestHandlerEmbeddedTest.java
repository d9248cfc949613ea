package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.NettyLeakCheck;
import io.reactivemmap.netty.NoLeakedWindows;
import io.reactivemmap.netty.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link FileRequestHandler} on an {@link EmbeddedChannel} in mapped mode, with the test as the transport: it takes
 * every buffer the pipeline writes, copies its bytes and releases it. Netty's paranoid leak detection and the window
 * count then prove that nothing else holds a buffer or a window.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
@Timeout(30)
class FileRequestHandlerEmbeddedTest {
    static final int SIZE = 300_000;

    /** FileServer#drain: a response that starts once the server drains is its connection's last, and says so. */
    @Test
    void aResponseThatStartsDuringADrainSaysConnectionCloseAndClosesTheConnection(@TempDir Path dir) throws Exception {
        FileServerOptions options = FileServerOptions.defaults(dir);
        ServerState state = new ServerState(options, RootDirectory.of(dir, false, false));
        ConnectionGuard guard = new ConnectionGuard(options.idleTimeout(), options.minRate(), options.minRatePeriod(),
                options.requestHeadTimeout());
        EmbeddedChannel ch = new EmbeddedChannel(guard, new HttpServerCodec(), new FileRequestHandler(state, guard));
        ch.writeInbound(Unpooled.copiedBuffer("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
        String before = outbound(ch);
        assertTrue(before.startsWith("HTTP/1.1 404 ") && !before.toLowerCase().contains("connection: close"), before);
        assertTrue(ch.isActive(), "kept alive before the drain");

        state.draining = true;
        ch.writeInbound(Unpooled.copiedBuffer("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
        String during = outbound(ch);
        assertTrue(during.startsWith("HTTP/1.1 404 ") && during.toLowerCase().contains("connection: close"), during);
        ch.runPendingTasks();
        assertTrue(!ch.isActive(), "the connection must close after the response");
        ch.finishAndReleaseAll();
    }

    /** What the pipeline wrote so far, as text (each buffer released). */
    private static String outbound(EmbeddedChannel ch) {
        ch.runPendingTasks();
        StringBuilder out = new StringBuilder();
        for (Object msg; (msg = ch.readOutbound()) != null; ) {
            ByteBuf buf = (ByteBuf) msg;
            out.append(buf.toString(StandardCharsets.ISO_8859_1));
            buf.release();
        }
        return out.toString();
    }

    @Test
    void aMultipartRangeResponseInMappedModeIsExactAndReleasesEverything(@TempDir Path dir) throws Exception {
        TestFiles.pattern(dir, "data.bin", SIZE);
        // 64 KiB windows and 16 KiB writes: the middle range spans two windows and several slices of each.
        FileServerOptions options = FileServerOptions.defaults(dir).withBodyMode(BodyMode.MAPPED).withWindowSize(64 << 10)
                .withMaxBytesInFlight(32 << 10);
        BodySender sender = new MappedBodySender(BodySenders.mapOptions(options),
                BodySenders.writeOptions(options).withMaxChunkSize(16 << 10));
        ServerState state = new ServerState(options, RootDirectory.of(dir, false, false), new BodySenders(sender, sender), AccessLog.SYSTEM_LOGGER);
        ConnectionGuard guard = new ConnectionGuard(options.idleTimeout(), options.minRate(), options.minRatePeriod(),
                options.requestHeadTimeout());
        EmbeddedChannel ch = new EmbeddedChannel(guard, new HttpServerCodec(), new FileRequestHandler(state, guard));
        long mappedBefore = MappingStats.snapshot().windowsMapped();

        ch.writeInbound(Unpooled.copiedBuffer("GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-9,60000-140000,-5\r\n\r\n",
                StandardCharsets.US_ASCII));

        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int buffers = 0;
        int mapped = 0;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            ch.runPendingTasks();
            Object msg = ch.readOutbound();
            if (msg == null) {
                if (complete(wire.toByteArray())) {
                    break;
                }
                Thread.yield();
                continue;
            }
            ByteBuf buf = (ByteBuf) msg;
            buffers++;
            if (MappedByteBufs.isMapped(buf)) {
                mapped++;
            }
            // (slices of a window share its reference count, so a single buffer's count proves nothing: the leak
            // detector and the window count after the test do)
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            wire.write(bytes);
            buf.release(); // what the transport does once a write is done
        }
        assertTrue(complete(wire.toByteArray()), "the response did not complete: " + wire.size() + " bytes");

        String response = wire.toString(StandardCharsets.ISO_8859_1);
        int headEnd = response.indexOf("\r\n\r\n") + 4;
        String head = response.substring(0, headEnd);
        assertTrue(head.startsWith("HTTP/1.1 206 "), head);
        String boundary = header(head, "content-type").replaceFirst(".*boundary=", "");
        byte[] body = response.substring(headEnd).getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(Long.parseLong(header(head, "content-length")), body.length);

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        long[][] ranges = {{0, 10}, {60_000, 80_001}, {SIZE - 5, 5}};
        for (long[] r : ranges) {
            expected.write(("\r\n--" + boundary + "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes "
                    + r[0] + "-" + (r[0] + r[1] - 1) + "/" + SIZE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            expected.write(TestFiles.expected(r[0], Math.toIntExact(r[1])));
        }
        expected.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] want = expected.toByteArray();
        // The first delimiter may or may not start with CRLF (RFC 2046 allows a preamble); compare from the first "--".
        int from = indexOf(body, ("--" + boundary).getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(java.util.Arrays.copyOfRange(want, 2, want.length), java.util.Arrays.copyOfRange(body, from, body.length));

        assertTrue(mapped >= 2, "the file ranges went out as mapped windows (" + mapped + " of " + buffers + " buffers)");
        assertTrue(MappingStats.snapshot().windowsMapped() - mappedBefore >= 3, "windows were mapped");
        ch.finishAndReleaseAll();
    }

    private static boolean complete(byte[] wire) {
        String s = new String(wire, StandardCharsets.ISO_8859_1);
        int headEnd = s.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return false;
        }
        String length = header(s.substring(0, headEnd + 4), "content-length");
        return length != null && wire.length - (headEnd + 4) >= Long.parseLong(length);
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        return null;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

}
