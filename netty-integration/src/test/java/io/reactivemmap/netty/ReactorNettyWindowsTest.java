package io.reactivemmap.netty;

import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;

import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class ReactorNettyWindowsTest {
    private static final int WINDOW = 1 << 20;
    private static final long MAX_LIVE = 4L * WINDOW;
    private static final MapOptions OPTIONS = MapOptions.defaults().withWindowSize(WINDOW).withMaxLiveBytes(MAX_LIVE);

    @TempDir
    Path dir;

    private record Download(long bytes, long maxMappedSeen) {
    }

    /** A slow client: small receive buffer, 64 KiB reads with pauses; checks every byte and watches the mapped bytes. */
    private static Download slowRead(InetSocketAddress address, long limit) throws Exception {
        try (SocketChannel client = SocketChannel.open()) {
            client.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
            client.connect(address);
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long pos = 0;
            long maxMapped = 0;
            int reads = 0;
            while (pos < limit) {
                buf.clear();
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
                maxMapped = Math.max(maxMapped, MappingStats.snapshot().mappedBytes());
                if (++reads % 8 == 0) {
                    Thread.sleep(2);
                }
            }
            return new Download(pos, maxMapped);
        }
    }

    @Test
    void aSlowClientNeverHoldsMoreThanMaxLiveBytesMappedDespiteThe128ItemPrefetch() throws Exception {
        long size = 24L * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        AtomicLong maxOutstanding = new AtomicLong();
        AtomicLong outstanding = new AtomicLong();
        DisposableServer server = TcpServer.create().host("127.0.0.1").port(0)
                .handle((in, out) -> ReactorNettyWindows.send(out, MappedFile.windows(file, OPTIONS)
                        .doOnRequest(n -> maxOutstanding.accumulateAndGet(outstanding.addAndGet(n), Math::max))
                        .doOnNext(w -> outstanding.decrementAndGet())))
                .bindNow();
        try {
            MappingStats.resetPeak();
            Download d = slowRead((InetSocketAddress) server.address(), Long.MAX_VALUE);
            assertEquals(size, d.bytes());
            long peak = MappingStats.snapshot().peakMappedBytes();
            assertTrue(maxOutstanding.get() >= 64, "Reactor Netty asked for many windows at once: " + maxOutstanding.get());
            assertTrue(peak <= MAX_LIVE, "peak mapped " + peak + " > maxLiveBytes " + MAX_LIVE);
            assertTrue(d.maxMappedSeen() <= MAX_LIVE, "mapped while reading " + d.maxMappedSeen());
            assertTrue(peak >= 2L * WINDOW, "the bound was reached, not avoided by a fast client: " + peak);
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void aClientThatDisconnectsMidDownloadLeavesNothingMapped() throws Exception {
        long size = 24L * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        DisposableServer server = TcpServer.create().host("127.0.0.1").port(0)
                .handle((in, out) -> ReactorNettyWindows.send(out, file, 0, size, OPTIONS))
                .bindNow();
        try {
            Download d = slowRead((InetSocketAddress) server.address(), 3L * WINDOW);
            assertTrue(d.bytes() >= 3L * WINDOW);
            NoLeakedWindows.assertNothingMapped();
        } finally {
            server.disposeNow();
        }
    }

    @Test
    void sendsARangeByteExact() throws Exception {
        long size = 5L * WINDOW + 3;
        Path file = TestFiles.pattern(dir, "f", size);
        DisposableServer server = TcpServer.create().host("127.0.0.1").port(0)
                .handle((in, out) -> ReactorNettyWindows.send(out, file, OPTIONS))
                .bindNow();
        try {
            assertEquals(size, slowRead((InetSocketAddress) server.address(), Long.MAX_VALUE).bytes());
        } finally {
            server.disposeNow();
        }
    }
}
