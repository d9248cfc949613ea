package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A real HTTP/2 connection in memory: a server {@link EmbeddedChannel} (whatever handlers the test gives it, typically
 * an {@code Http2FrameCodec} and an {@code Http2MultiplexHandler}) and a client {@link EmbeddedChannel} with Netty's
 * client codec, with the bytes moved between them by {@link #shuttle()} or one round at a time by {@link #step()}. Flow
 * control works as on a socket: the server can send DATA only as far as the client's windows allow, and the client
 * returns window updates as its stream channels read the frames.
 */
public final class EmbeddedHttp2 implements AutoCloseable {
    public final EmbeddedChannel server;
    public final EmbeddedChannel client;

    /**
     * @param clientSettings the client's SETTINGS (its initial stream window, for example)
     * @param serverHandlers the server's pipeline
     */
    public EmbeddedHttp2(Http2Settings clientSettings, ChannelHandler... serverHandlers) {
        server = new EmbeddedChannel(serverHandlers);
        // encoderIgnoreMaxHeaderListSize: a test client must be able to send what the server refuses
        client = new EmbeddedChannel(Http2FrameCodecBuilder.forClient().initialSettings(clientSettings)
                .encoderIgnoreMaxHeaderListSize(true).build(),
                new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
        shuttle();
    }

    /** Moves bytes both ways until neither side has anything more to send; returns the bytes moved to the client. */
    public long shuttle() {
        long total = 0;
        for (;;) {
            long moved = step();
            if (moved < 0) {
                return total;
            }
            total += moved;
        }
    }

    /**
     * One round: everything the client wrote goes to the server, then everything the server wrote to the client.
     *
     * @return bytes moved to the client, or -1 if nothing moved either way
     */
    public long step() {
        boolean moved = false;
        ByteBuf b;
        client.runPendingTasks();
        while ((b = client.readOutbound()) != null) {
            moved = true;
            deliver(server, b);
        }
        server.runPendingTasks();
        long toClient = 0;
        while ((b = server.readOutbound()) != null) {
            moved = true;
            toClient += b.readableBytes();
            deliver(client, b);
        }
        client.runPendingTasks();
        return moved ? toClient : -1;
    }

    private static void deliver(EmbeddedChannel to, ByteBuf b) {
        if (to.isOpen()) {
            to.writeInbound(b);
        } else {
            b.release(); // the peer has gone: the bytes are lost, as on a socket
        }
    }

    /** Opens a client stream and sends a request on it ({@code GET} with end of stream unless told otherwise). */
    public Response request(Http2Headers headers, boolean endStream) {
        Response response = new Response();
        Future<Http2StreamChannel> f = new Http2StreamChannelBootstrap(client).handler(response).open();
        client.runPendingTasks();
        Http2StreamChannel stream = f.getNow();
        if (stream == null) {
            throw new IllegalStateException("could not open a client stream", f.cause());
        }
        response.channel = stream;
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(headers, endStream));
        client.runPendingTasks();
        return response;
    }

    /** A {@code GET} of {@code path}. */
    public Response get(String path, CharSequence... headerPairs) {
        Http2Headers h = new DefaultHttp2Headers().method("GET").path(path).scheme("http").authority("localhost");
        for (int i = 0; i < headerPairs.length; i += 2) {
            h.add(headerPairs[i], headerPairs[i + 1]);
        }
        return request(h, true);
    }

    @Override
    public void close() {
        client.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }

    /**
     * What the client received on one stream; DATA frames are copied and released as they arrive. Its fields are written
     * on the client's event loop: on a real socket, read them after {@link #ended} completed.
     */
    public static final class Response extends ChannelInboundHandlerAdapter {
        public final List<Http2Headers> headers = new ArrayList<>();
        public final ByteArrayOutputStream body = new ByteArrayOutputStream();
        /** Sizes of the DATA frames received. */
        public final List<Integer> frames = new ArrayList<>();
        public boolean endStream;
        /** Frames seen after the end of the stream (must stay 0). */
        public int framesAfterEnd;
        public long resetCode = -1;
        public Http2StreamChannel channel;
        /** Completes when the stream ended: END_STREAM, RST_STREAM, or its channel closed. */
        public final CompletableFuture<Response> ended = new CompletableFuture<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (endStream) {
                    framesAfterEnd++;
                }
                if (msg instanceof Http2HeadersFrame h) {
                    headers.add(h.headers());
                    endStream |= h.isEndStream();
                } else if (msg instanceof Http2DataFrame d) {
                    ByteBuf c = d.content();
                    frames.add(c.readableBytes());
                    byte[] bytes = new byte[c.readableBytes()];
                    c.getBytes(c.readerIndex(), bytes);
                    body.writeBytes(bytes);
                    endStream |= d.isEndStream();
                } else if (msg instanceof Http2ResetFrame r) {
                    resetCode = r.errorCode();
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
            if (endStream) {
                ended.complete(this);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof Http2ResetFrame r) {
                resetCode = r.errorCode(); // Netty's stream channels deliver RST_STREAM as an event
                ended.complete(this);
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ended.complete(this);
            ctx.fireChannelInactive();
        }

        public String status() {
            return headers.isEmpty() ? null : String.valueOf(headers.get(0).status());
        }

        public CharSequence header(CharSequence name) {
            return headers.isEmpty() ? null : headers.get(0).get(name);
        }
    }
}
