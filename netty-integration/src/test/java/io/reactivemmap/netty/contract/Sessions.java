package io.reactivemmap.netty.contract;

import io.netty.handler.codec.http2.Http2Headers;
import io.reactivemmap.netty.contract.FileExchangeContract.Download;
import io.reactivemmap.netty.contract.FileExchangeContract.Ending;
import io.reactivemmap.netty.contract.FileExchangeContract.Reply;
import io.reactivemmap.netty.contract.FileExchangeContract.Session;
import io.reactivemmap.netty.http.RawHttp;
import io.reactivemmap.netty.http.RawHttp2;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The contract's client sessions over sockets: HTTP/1.1 on one connection, and h2c with prior knowledge. */
final class Sessions {
    /** The receive buffer of every test connection: small, so that a client that stops reading backs the server up. */
    static final int RECEIVE_BUFFER = 64 << 10;
    private static final Reply REFUSED = new Reply(-1, Map.of(), new byte[0], true);

    private Sessions() {
    }

    /** An HTTP/1.1 connection to {@code port}; its exchanges follow one another on it. */
    static Session http1(int port) throws IOException {
        return new Http1(new RawHttp(port, RECEIVE_BUFFER));
    }

    /** An h2c connection (prior knowledge) to {@code port}; each exchange is a new stream. */
    static Session h2c(int port) throws IOException {
        return new H2(RawHttp2.plain(port).start());
    }

    private static final class Http1 implements Session {
        private final RawHttp raw;

        Http1(RawHttp raw) {
            this.raw = raw;
        }

        private void send(String method, String target, byte[] body, String... headerLines) throws IOException {
            StringBuilder b = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
            for (String h : headerLines) {
                b.append(h).append("\r\n");
            }
            if (body.length > 0) {
                b.append("Content-Length: ").append(body.length).append("\r\n");
            }
            raw.socket.getOutputStream().write(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            raw.socket.getOutputStream().write(body);
            raw.socket.getOutputStream().flush();
        }

        @Override
        public Reply exchange(String method, String target, byte[] body, String... headerLines) throws IOException {
            RawHttp.Response head;
            try {
                send(method, target, body, headerLines);
                head = raw.readHead();
            } catch (SocketException | EOFException e) {
                return REFUSED; // closed without an answer
            } catch (IOException e) {
                if (String.valueOf(e.getMessage()).startsWith("connection closed before the end of the headers")) {
                    return REFUSED;
                }
                throw e;
            }
            byte[] bytes;
            String length = head.header("content-length");
            if (method.equals("HEAD") || head.status() == 304 || head.status() == 204) {
                bytes = new byte[0];
            } else if ("chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
                bytes = chunked(raw.in);
            } else if (length != null) {
                bytes = raw.in.readNBytes(Integer.parseInt(length));
            } else {
                bytes = raw.in.readAllBytes(); // delimited by the close
            }
            return new Reply(head.status(), head.headers(), bytes, false);
        }

        private static byte[] chunked(InputStream in) throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (true) {
                String line = line(in);
                int size = Integer.parseInt(line.split(";")[0].strip(), 16);
                if (size == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    return body.toByteArray();
                }
                body.writeBytes(in.readNBytes(size));
                line(in);
            }
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) {
                    throw new EOFException("the connection ended in a chunked body");
                }
                if (c != '\r') {
                    b.append((char) c);
                }
            }
            return b.toString();
        }

        @Override
        public Download download(String target, String... headerLines) throws IOException {
            send("GET", target, new byte[0], headerLines);
            RawHttp.Response head = raw.readHead();
            Reply reply = new Reply(head.status(), head.headers(), new byte[0], false);
            long length = Long.parseLong(head.header("content-length"));
            return new Download() {
                long remaining = length;

                @Override
                public Reply head() {
                    return reply;
                }

                @Override
                public byte[] read(int n) throws IOException {
                    byte[] b = raw.in.readNBytes(n);
                    if (b.length < n) {
                        throw new EOFException("the body ended after " + b.length + " of the " + n + " bytes asked");
                    }
                    remaining -= n;
                    return b;
                }

                @Override
                public Ending drain() throws IOException {
                    long n = 0;
                    byte[] buf = new byte[1 << 16];
                    try {
                        for (int r; remaining > 0 && (r = raw.in.read(buf, 0, (int) Math.min(buf.length, remaining))) >= 0; ) {
                            n += r;
                            remaining -= r;
                        }
                    } catch (SocketException reset) {
                        // a reset also ends the body
                    }
                    return new Ending(n, remaining == 0);
                }

                @Override
                public void abort() throws IOException {
                    raw.close();
                }
            };
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }

    private static final class H2 implements Session {
        private static final long CANCEL = 0x8;
        private final RawHttp2 raw;
        private int nextStream = 1;

        H2(RawHttp2 raw) {
            this.raw = raw;
        }

        private int send(String method, String target, byte[] body, String... headerLines) throws IOException {
            int stream = nextStream;
            nextStream += 2;
            List<String> fields = new ArrayList<>(List.of(":method", method, ":scheme", "http", ":authority", "localhost",
                    ":path", target));
            for (String h : headerLines) {
                int colon = h.indexOf(':');
                fields.add(h.substring(0, colon).strip().toLowerCase(Locale.ROOT));
                fields.add(h.substring(colon + 1).strip());
            }
            raw.headers(stream, body.length == 0, fields.toArray(String[]::new));
            if (body.length > 0) {
                raw.frame(RawHttp2.DATA, RawHttp2.END_STREAM, stream, body);
            }
            return stream;
        }

        private static Map<String, String> map(Http2Headers headers) {
            Map<String, String> m = new LinkedHashMap<>();
            if (headers != null) {
                headers.forEach(e -> m.merge(e.getKey().toString().toLowerCase(Locale.ROOT), e.getValue().toString(),
                        (a, b) -> a + ", " + b));
            }
            return m;
        }

        @Override
        public Reply exchange(String method, String target, byte[] body, String... headerLines) throws IOException {
            RawHttp2.Response r;
            try {
                r = raw.response(send(method, target, body, headerLines));
            } catch (EOFException | SocketException e) {
                return REFUSED;
            } catch (IOException e) {
                if (String.valueOf(e.getMessage()).startsWith("GOAWAY")) {
                    return REFUSED; // a connection error: the request never became an exchange
                }
                throw e;
            }
            int status = r.status() == null ? -1 : Integer.parseInt(r.status());
            return new Reply(status, map(r.headers()), r.body(), !r.endStream());
        }

        @Override
        public Download download(String target, String... headerLines) throws IOException {
            int stream = send("GET", target, new byte[0], headerLines);
            Http2Headers headers = raw.responseHeaders(stream);
            Reply reply = new Reply(Integer.parseInt(headers.status().toString()), map(headers), new byte[0], false);
            long length = Long.parseLong(reply.header("content-length"));
            return new Download() {
                final ByteArrayOutputStream pending = new ByteArrayOutputStream();
                long remaining = length;
                boolean ended;

                /** Reads one frame of this stream into {@link #pending}; false once the stream or connection ended. */
                private boolean step() throws IOException {
                    if (ended) {
                        return false;
                    }
                    RawHttp2.Frame f;
                    try {
                        f = raw.read();
                    } catch (EOFException | SocketException e) {
                        ended = true;
                        return false;
                    }
                    if (f.type() == RawHttp2.GOAWAY || (f.stream() == stream && f.type() == RawHttp2.RST_STREAM)) {
                        ended = true;
                        return false;
                    }
                    if (f.stream() == stream && f.type() == RawHttp2.DATA) {
                        pending.writeBytes(f.payload());
                        if (f.has(RawHttp2.END_STREAM)) {
                            ended = true;
                        }
                    }
                    return true;
                }

                @Override
                public Reply head() {
                    return reply;
                }

                @Override
                public byte[] read(int n) throws IOException {
                    while (pending.size() < n && step()) {
                        // keep reading
                    }
                    byte[] all = pending.toByteArray();
                    if (all.length < n) {
                        throw new EOFException("the stream ended after " + all.length + " of the " + n + " bytes asked");
                    }
                    pending.reset();
                    pending.write(all, n, all.length - n);
                    remaining -= n;
                    byte[] b = new byte[n];
                    System.arraycopy(all, 0, b, 0, n);
                    return b;
                }

                @Override
                public Ending drain() throws IOException {
                    while (step()) {
                        // to the end of the stream
                    }
                    long n = pending.size();
                    pending.reset();
                    remaining -= n;
                    return new Ending(n, remaining == 0);
                }

                @Override
                public void abort() throws IOException {
                    raw.frame(RawHttp2.RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt((int) CANCEL).array());
                    // A PING after the reset: its ACK proves the server read the reset before the connection ends.
                    byte[] opaque = "contract".getBytes(StandardCharsets.US_ASCII);
                    raw.frame(RawHttp2.PING, 0, 0, opaque);
                    for (RawHttp2.Frame f; ; ) {
                        f = raw.read();
                        if (f.type() == RawHttp2.PING && f.has(RawHttp2.ACK)) {
                            return;
                        }
                    }
                }
            };
        }

        @Override
        public void close() throws IOException {
            raw.close();
        }
    }
}
