package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;

import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/2 client over a raw socket, frame by frame, for what a well-behaved client (Netty's own codec, the JDK
 * client, curl) will not send: invalid frames, malformed header blocks, floods. Header blocks are encoded as HPACK
 * literals without indexing (names and values exactly as given, upper case and control characters included); the
 * server's header blocks are decoded with Netty's decoder. Every read waits at most 10 s.
 */
public final class RawHttp2 implements AutoCloseable {
    public static final int DATA = 0, HEADERS = 1, PRIORITY = 2, RST_STREAM = 3, SETTINGS = 4, PUSH_PROMISE = 5, PING = 6,
            GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
    public static final int END_STREAM = 0x1, ACK = 0x1, END_HEADERS = 0x4, PRIORITY_FLAG = 0x20;
    static final int SETTINGS_ENABLE_PUSH = 0x2, SETTINGS_INITIAL_WINDOW_SIZE = 0x4, SETTINGS_MAX_FRAME_SIZE = 0x5;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One frame as it came off the wire. */
    public record Frame(int type, int flags, int stream, byte[] payload) {
        public boolean has(int flag) {
            return (flags & flag) != 0;
        }

        public int int32(int at) {
            return ByteBuffer.wrap(payload, at, 4).getInt();
        }
    }

    /** A GOAWAY frame's fields. */
    public record GoAway(int lastStreamId, long errorCode, String debug) {
    }

    /** What came back on one stream: the response headers (if any), body bytes, and how the stream ended. */
    public record Response(Http2Headers headers, byte[] body, boolean endStream, long resetCode) {
        /** The number of DATA bytes received. */
        public int bodyBytes() {
            return body.length;
        }

        /** The {@code :status}, or null if no response headers came before the stream ended. */
        public String status() {
            return headers == null || headers.status() == null ? null : headers.status().toString();
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
    /** Whether DATA frames read are given back at once with WINDOW_UPDATE on the stream and the connection. */
    boolean replenish = true;

    private RawHttp2(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(10_000);
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** An h2c connection with prior knowledge. */
    public static RawHttp2 plain(int port) throws IOException {
        return new RawHttp2(new Socket("127.0.0.1", port));
    }

    /** A plain connection with a small receive buffer, so that a client that does not read backs the server up soon. */
    public static RawHttp2 plainNotReading(int port) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port));
        return new RawHttp2(s);
    }

    /** h2 over TLS, negotiated by ALPN; trusts the server's self-signed certificate. */
    static RawHttp2 tls(int port) throws Exception {
        SSLSocket s = (SSLSocket) HttpTestSupport.trustAll().getSocketFactory().createSocket("localhost", port);
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(p);
        s.startHandshake();
        if (!"h2".equals(s.getApplicationProtocol())) {
            throw new IOException("ALPN chose " + s.getApplicationProtocol() + ", not h2");
        }
        return new RawHttp2(s);
    }

    /**
     * Sends the preface and a SETTINGS frame with the given (identifier, value) pairs, then reads the server's SETTINGS
     * and acknowledges it.
     */
    public RawHttp2 start(long... settings) throws IOException {
        out.write(PREFACE);
        frame(SETTINGS, 0, 0, settingsPayload(settings));
        for (Frame f; (f = read()).type != SETTINGS || f.has(ACK); ) {
            // (nothing else comes before the server's SETTINGS)
        }
        frame(SETTINGS, ACK, 0, new byte[0]);
        return this;
    }

    static byte[] settingsPayload(long... settings) {
        ByteBuffer b = ByteBuffer.allocate(settings.length / 2 * 6);
        for (int i = 0; i < settings.length; i += 2) {
            b.putShort((short) settings[i]).putInt((int) settings[i + 1]);
        }
        return b.array();
    }

    static byte[] int32(long value) {
        return ByteBuffer.allocate(4).putInt((int) value).array();
    }

    /** Writes one frame (its 9-byte header and payload) and flushes. */
    public void frame(int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(frameBytes(type, flags, stream, payload));
        out.flush();
    }

    static byte[] frameBytes(int type, int flags, int stream, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(9 + payload.length);
        b.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        b.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        return b.array();
    }

    /** Writes raw bytes (several frames at once, say). */
    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** A header block of HPACK literals without indexing, no Huffman coding: {@code name, value, name, value...}. */
    static byte[] block(String... namesAndValues) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            b.write(0x00);
            literal(b, namesAndValues[i].getBytes(StandardCharsets.ISO_8859_1));
            literal(b, namesAndValues[i + 1].getBytes(StandardCharsets.ISO_8859_1));
        }
        return b.toByteArray();
    }

    private static void literal(ByteArrayOutputStream b, byte[] s) {
        int n = s.length; // HPACK integer, 7-bit prefix (RFC 7541 §5.1), Huffman bit off
        if (n < 127) {
            b.write(n);
        } else {
            b.write(127);
            for (n -= 127; n >= 128; n >>>= 7) {
                b.write((n & 0x7f) | 0x80);
            }
            b.write(n);
        }
        b.writeBytes(s);
    }

    /** A HEADERS frame with END_HEADERS carrying {@code namesAndValues} as given. */
    public void headers(int stream, boolean endStream, String... namesAndValues) throws IOException {
        frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, block(namesAndValues));
    }

    /** A well-formed GET for {@code path} that ends the client's half of the stream. */
    public void get(int stream, String path) throws IOException {
        headers(stream, true, ":method", "GET", ":scheme", "http", ":authority", "localhost", ":path", path);
    }

    /** Reads the next frame; the server's SETTINGS are acknowledged and its PINGs answered on the way. */
    public Frame read() throws IOException {
        int length = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
        int type = in.readUnsignedByte();
        int flags = in.readUnsignedByte();
        int stream = in.readInt() & 0x7fff_ffff;
        byte[] payload = in.readNBytes(length);
        if (payload.length < length) {
            throw new EOFException("the connection ended in a frame");
        }
        Frame f = new Frame(type, flags, stream, payload);
        if (type == DATA && replenish && length > 0) {
            frame(WINDOW_UPDATE, 0, 0, int32(length));
            frame(WINDOW_UPDATE, 0, stream, int32(length));
        }
        return f;
    }

    /** Reads until the response on {@code stream} ends (END_STREAM or RST_STREAM); frames of other streams are skipped. */
    public Response response(int stream) throws IOException {
        Http2Headers headers = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        ByteArrayOutputStream fragments = new ByteArrayOutputStream();
        while (true) {
            Frame f = read();
            if (f.stream != stream) {
                if (f.type == GOAWAY) {
                    throw new IOException("GOAWAY while waiting for stream " + stream + ": " + goAway(f));
                }
                continue;
            }
            switch (f.type) {
                case HEADERS, CONTINUATION -> {
                    fragments.writeBytes(fragment(f));
                    if (f.has(END_HEADERS)) {
                        headers = decode(stream, fragments.toByteArray());
                        fragments.reset();
                    }
                }
                case DATA -> body.writeBytes(f.payload);
                case RST_STREAM -> {
                    return new Response(headers, body.toByteArray(), false, Integer.toUnsignedLong(f.int32(0)));
                }
                default -> {
                }
            }
            if (f.has(END_STREAM) && (f.type == DATA || f.type == HEADERS)) {
                return new Response(headers, body.toByteArray(), true, -1);
            }
        }
    }

    /** Reads until the response headers on {@code stream} (a body may follow). */
    public Http2Headers responseHeaders(int stream) throws IOException {
        ByteArrayOutputStream fragments = new ByteArrayOutputStream();
        while (true) {
            Frame f = read();
            if (f.stream == stream && (f.type == HEADERS || f.type == CONTINUATION)) {
                fragments.writeBytes(fragment(f));
                if (f.has(END_HEADERS)) {
                    return decode(stream, fragments.toByteArray());
                }
            } else if (f.stream == stream && f.type == RST_STREAM) {
                throw new IOException("stream " + stream + " reset with " + Integer.toUnsignedLong(f.int32(0)));
            }
        }
    }

    private static byte[] fragment(Frame f) {
        int from = 0;
        int to = f.payload.length;
        if (f.type == HEADERS && f.has(0x8)) { // PADDED
            to -= f.payload[0] & 0xff;
            from = 1;
        }
        if (f.type == HEADERS && f.has(PRIORITY_FLAG)) {
            from += 5;
        }
        byte[] b = new byte[to - from];
        System.arraycopy(f.payload, from, b, 0, b.length);
        return b;
    }

    private Http2Headers decode(int stream, byte[] block) throws IOException {
        ByteBuf buf = Unpooled.wrappedBuffer(block);
        try {
            return decoder.decodeHeaders(stream, buf);
        } catch (Http2Exception e) {
            throw new IOException("the server's header block does not decode", e);
        } finally {
            buf.release();
        }
    }

    /** Reads until a GOAWAY frame; fails if the connection ends before one. */
    public GoAway goAway() throws IOException {
        for (Frame f; ; ) {
            try {
                f = read();
            } catch (EOFException | SocketException e) {
                throw new IOException("the connection ended without a GOAWAY", e);
            }
            if (f.type == GOAWAY) {
                return goAway(f);
            }
        }
    }

    private static GoAway goAway(Frame f) {
        return new GoAway(f.int32(0) & 0x7fff_ffff, Integer.toUnsignedLong(f.int32(4)),
                new String(f.payload, 8, f.payload.length - 8, StandardCharsets.UTF_8));
    }

    /** Reads until the server ends the connection (end of stream or a reset); returns the frames' bytes read meanwhile. */
    public long awaitClose() throws IOException {
        long n = 0;
        byte[] buf = new byte[1 << 16];
        InputStream raw = in;
        try {
            for (int r; (r = raw.read(buf)) >= 0; ) {
                n += r;
            }
        } catch (SocketException reset) {
            // a reset is also the end of the connection
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
