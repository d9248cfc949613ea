package io.reactivemmap.netty.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client over a raw socket, for targets and behaviours that HttpClient will not produce. Public for
 * the tests of the other front ends (io.reactivemmap.netty.reactor).
 */
public final class RawHttp implements AutoCloseable {
    public final Socket socket;
    public final InputStream in;

    public record Response(int status, Map<String, String> headers, byte[] body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    public RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
    }

    /**
     * A client whose socket buffers {@code receiveBufferSize} bytes at most (set before connecting, so the TCP window it
     * announces is that small too): with nothing read, the server's writes stall after a few KiB.
     */
    public RawHttp(int port, int receiveBufferSize) throws IOException {
        socket = new Socket();
        socket.setReceiveBufferSize(receiveBufferSize);
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
    }

    public void send(String raw) throws IOException {
        socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Sends a GET (or other method) for {@code target} with extra header lines. */
    public Response request(String method, String target, String... headerLines) throws IOException {
        StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headerLines) {
            b.append(h).append("\r\n");
        }
        send(b.append("\r\n").toString());
        return read(method.equals("HEAD"));
    }

    /** Reads a response head, status line to the blank line, byte by byte (nothing past it is consumed). */
    public static String headText(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed before the end of the headers: " + head);
            }
            head.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads the status line and headers only. */
    public Response readHead() throws IOException {
        String[] lines = headText(in).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        return new Response(status, headers, new byte[0]);
    }

    public Response read(boolean head) throws IOException {
        Response r = readHead();
        String length = r.header("content-length");
        if (head || length == null || r.status() == 304) {
            return r;
        }
        byte[] body = in.readNBytes(Integer.parseInt(length));
        return new Response(r.status(), r.headers(), body);
    }

    /** Reads until the server closes the connection; returns the number of bytes read. */
    public long drain() throws IOException {
        long n = 0;
        byte[] buf = new byte[1 << 16];
        try {
            for (int r; (r = in.read(buf)) >= 0; ) {
                n += r;
            }
        } catch (java.net.SocketException reset) {
            // a reset is also the end of the connection
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
