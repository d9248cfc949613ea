package io.reactivemmap.netty.reactor;

import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.TestFiles;
import io.reactivemmap.netty.http.BodyMode;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The route contract with {@link BodyMode#MAPPED}: windows through {@code ReactorNettyWindows.send}; and the bound on
 * what a slow reader keeps mapped, for a whole file and for a multipart body.
 */
class FileRouteMappedTest extends FileRouteContract {
    @Override
    BodyMode mode() {
        return BodyMode.MAPPED;
    }

    /** What a slow download saw: its bytes (head included) and the most bytes mapped while it read. */
    private record Download(byte[] bytes, long maxMappedSeen) {
    }

    /**
     * Sends {@code request} and reads the whole response slowly (16 KiB receive buffer, 16 KiB reads, a pause every
     * few reads) until the server has sent {@code total} bytes, watching the mapped bytes as it goes.
     */
    private Download slowDownload(String request, int headAndBodyAtLeast) throws Exception {
        try (SocketChannel socket = SocketChannel.open()) {
            socket.setOption(StandardSocketOptions.SO_RCVBUF, 16 << 10);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()));
            socket.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)));
            ByteBuffer all = ByteBuffer.allocate(headAndBodyAtLeast + (64 << 10));
            ByteBuffer buf = ByteBuffer.allocate(16 << 10);
            long maxMapped = 0;
            int reads = 0;
            while (all.position() < headAndBodyAtLeast || !complete(all)) {
                buf.clear();
                int n = socket.read(buf);
                if (n < 0) {
                    break;
                }
                all.put(buf.flip());
                maxMapped = Math.max(maxMapped, MappingStats.snapshot().mappedBytes());
                if (++reads % 4 == 0) {
                    Thread.sleep(1);
                }
            }
            byte[] bytes = new byte[all.position()];
            all.flip().get(bytes);
            return new Download(bytes, maxMapped);
        }
    }

    /** Whether the response in {@code all} (head and body) is complete according to its Content-Length. */
    private static boolean complete(ByteBuffer all) {
        String text = new String(all.array(), 0, all.position(), StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        String lower = text.substring(0, end).toLowerCase(java.util.Locale.ROOT);
        int at = lower.indexOf("content-length:");
        int eol = lower.indexOf("\r\n", at);
        long length = Long.parseLong(lower.substring(at + 15, eol < 0 ? end : eol).strip());
        return all.position() >= end + 4 + length;
    }

    @Test
    void aSlowReaderNeverHasMoreThanTheInFlightBudgetMapped() throws Exception {
        int size = 8 << 20;
        TestFiles.pattern(root, "big.bin", size);
        MappingStats.resetPeak();
        Download d = slowDownload("GET /files/big.bin HTTP/1.1\r\nHost: x\r\n\r\n", size);
        String text = new String(d.bytes(), StandardCharsets.ISO_8859_1);
        int bodyStart = text.indexOf("\r\n\r\n") + 4;
        assertEquals(size, d.bytes().length - bodyStart);
        for (int i = 0; i < size; i += 4093) {
            assertEquals(TestFiles.byteAt(i), d.bytes()[bodyStart + i], "byte " + i);
        }
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= IN_FLIGHT, "peak mapped " + peak + " > budget " + IN_FLIGHT);
        assertTrue(d.maxMappedSeen() <= IN_FLIGHT, "mapped while reading " + d.maxMappedSeen());
        assertTrue(peak >= 2L * WINDOW, "the budget was reached, not avoided by a fast client: " + peak);
    }

    @Test
    void aMultipartBodyHoldsTheBudgetAcrossAllItsRanges() throws Exception {
        int size = 8 << 20;
        TestFiles.pattern(root, "big.bin", size);
        // Eight ranges of exactly the budget each, 1 MiB apart: each range's source alone stays within the budget, so
        // only sending one part after the other keeps the whole response within it.
        StringBuilder ranges = new StringBuilder("bytes=");
        for (int i = 0; i < 8; i++) {
            long first = (long) i << 20;
            ranges.append(i == 0 ? "" : ",").append(first).append('-').append(first + IN_FLIGHT - 1);
        }
        MappingStats.resetPeak();
        Download d = slowDownload("GET /files/big.bin HTTP/1.1\r\nHost: x\r\nRange: " + ranges + "\r\n\r\n",
                (int) (8 * IN_FLIGHT));
        String text = new String(d.bytes(), StandardCharsets.ISO_8859_1);
        assertTrue(text.startsWith("HTTP/1.1 206"), text.substring(0, 40));
        for (int i = 0; i < 8; i++) {
            long first = (long) i << 20;
            String header = "Content-Range: bytes " + first + "-" + (first + IN_FLIGHT - 1) + "/" + size + "\r\n\r\n";
            int at = text.indexOf(header);
            assertTrue(at > 0, "part " + i);
            int body = at + header.length();
            assertEquals(TestFiles.byteAt(first), d.bytes()[body]);
            assertEquals(TestFiles.byteAt(first + IN_FLIGHT - 1), d.bytes()[body + (int) IN_FLIGHT - 1]);
        }
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= IN_FLIGHT, "peak mapped " + peak + " > budget " + IN_FLIGHT);
        assertTrue(d.maxMappedSeen() <= IN_FLIGHT, "mapped while reading " + d.maxMappedSeen());
    }
}
