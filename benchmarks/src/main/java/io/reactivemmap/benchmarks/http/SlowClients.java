package io.reactivemmap.benchmarks.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Many slow downloads at once, from one thread: opens N connections to 127.0.0.1, sends one GET each, and reads each
 * at most RATE bytes per second with a small receive buffer, for a bounded time; then closes everything. Prints one
 * line per second ({@code t=.. open=.. bytes=..}) so a script can sample the server alongside.
 *
 * <pre>usage: SlowClients PORT PATH CONNECTIONS RATE_BYTES_PER_S SECONDS</pre>
 */
public final class SlowClients {
    private SlowClients() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String path = args[1];
        int n = Integer.parseInt(args[2]);
        long rate = Long.parseLong(args[3]);
        int seconds = Math.min(600, Integer.parseInt(args[4]));
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        List<SocketChannel> channels = new ArrayList<>(n);
        ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10);
        long total = 0;
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 16 << 10);
                ch.connect(new InetSocketAddress("127.0.0.1", port));
                ch.write(ByteBuffer.wrap(request));
                ch.configureBlocking(false);
                channels.add(ch);
            }
            long start = System.nanoTime();
            long perTick = Math.max(1, rate / 10);
            int tick = 0;
            while (System.nanoTime() - start < seconds * 1_000_000_000L) {
                int open = 0;
                for (SocketChannel ch : channels) {
                    if (!ch.isOpen()) {
                        continue;
                    }
                    buf.clear().limit((int) Math.min(buf.capacity(), perTick));
                    int r = ch.read(buf);
                    if (r < 0) {
                        ch.close();
                        continue;
                    }
                    total += r;
                    open++;
                }
                if (++tick % 10 == 0) {
                    System.out.printf("t=%d open=%d bytes=%d%n", tick / 10, open, total);
                    System.out.flush();
                }
                Thread.sleep(100);
            }
        } finally {
            for (SocketChannel ch : channels) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
        System.out.println("done bytes=" + total);
    }
}
