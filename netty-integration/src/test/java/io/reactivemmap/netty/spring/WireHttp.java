package io.reactivemmap.netty.spring;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client over a raw socket: sends the request target exactly as given (no client-side
 * normalisation of {@code ..} or re-encoding), and returns the bytes the server put on the wire.
 */
final class WireHttp {
    private WireHttp() {
    }

    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** One request on a fresh connection with {@code Connection: close}; reads the response to the end of the stream. */
    static Response exchange(int port, String method, String target, String... headerLines) throws IOException {
        try (Socket socket = open(port)) {
            send(socket, method, target, true, headerLines);
            InputStream in = socket.getInputStream();
            Map<String, String> headers = new LinkedHashMap<>();
            int status = readHead(in, headers);
            byte[] body = in.readAllBytes();
            String length = headers.get("content-length");
            if (!method.equals("HEAD") && status != 304 && length != null && Long.parseLong(length) != body.length) {
                throw new IOException("Content-Length " + length + " but " + body.length + " body bytes before the end of the stream");
            }
            return new Response(status, headers, body);
        }
    }

    static Socket open(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        return socket;
    }

    static void send(Socket socket, String method, String target, boolean close, String... headerLines) throws IOException {
        StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
        if (close) {
            b.append("Connection: close\r\n");
        }
        for (String h : headerLines) {
            b.append(h).append("\r\n");
        }
        socket.getOutputStream().write(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Reads the status line and headers (names lower-cased); returns the status. */
    static int readHead(InputStream in, Map<String, String> headers) throws IOException {
        String[] lines = io.reactivemmap.netty.http.RawHttp.headText(in).split("\r\n");
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        return Integer.parseInt(lines[0].split(" ")[1]);
    }

    /** Reads exactly {@code n} bytes (fewer only if the stream ends). */
    static byte[] readN(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        return b.length == n ? b : Arrays.copyOf(b, b.length);
    }
}
