package io.reactivemmap.samples;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.netty.ChannelBodyWriter;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.Transports;
import io.reactivemmap.netty.WriteOptions;
import io.reactivemmap.netty.http.ContentTypes;
import reactor.core.publisher.Flux;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A plain Netty HTTP/1.1 server ({@code ServerBootstrap}, {@code HttpServerCodec}) whose handler answers every
 * {@code GET} with one file, sent as mapped windows through {@link ChannelBodyWriter}: the response head, the body
 * (bounded in bytes in flight, zero-copy to the socket), then {@code LastHttpContent}. {@code HEAD} gets the head
 * only, other methods {@code 405}. Connections are kept alive unless the client asks otherwise. The handler is
 * deliberately small, to be copied; {@code FileServerMain} is the full server (directories, ranges, conditional
 * requests, TLS, slow-client guards).
 *
 * <pre>usage: NettyHttpFileMain FILE [--port N]      (127.0.0.1:8080 by default; 0 picks a free port)</pre>
 */
public final class NettyHttpFileMain {
    private NettyHttpFileMain() {
    }

    public static void main(String[] args) throws Exception {
        Path file = null;
        int port = 8080;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length && args[i + 1].matches("\\d{1,5}")
                    && Integer.parseInt(args[i + 1]) <= 65535) {
                port = Integer.parseInt(args[++i]);
            } else if (file == null && !args[i].startsWith("--")) {
                file = Path.of(args[i]);
            } else {
                exit("usage: NettyHttpFileMain FILE [--port N]   (N from 0 to 65535; 0 picks a free port)");
            }
        }
        if (file == null || !Files.isRegularFile(file)) {
            exit(file == null ? "usage: NettyHttpFileMain FILE [--port N]"
                    : "not a regular file: " + file.toAbsolutePath() + " (give the path of the file to serve)");
        }
        // 1 MiB windows, at most 4 MiB mapped ahead per response; no populate-ahead: the network paces the reads.
        MapOptions mapOptions = MapOptions.defaults().withWindowSize(1 << 20).withMaxLiveBytes(4L << 20).withPopulateAhead(false);
        Server server = Server.start(file, "127.0.0.1", port, mapOptions, WriteOptions.defaults());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close(); // closes the listening socket, then every connection (releasing their windows)
            stopped.countDown();
        }, "netty-http-file-shutdown"));
        System.out.println("Serving " + file.toAbsolutePath() + " at http://127.0.0.1:" + server.port() + "/  ("
                + Transports.preferred() + "; any path; Ctrl-C to stop)");
        stopped.await();
    }

    private static void exit(String message) {
        System.err.println(message);
        System.exit(2);
    }

    /** A listening server: {@link #close()} stops listening, closes every connection and stops the event loops. */
    public record Server(EventLoopGroup group, Channel channel) implements AutoCloseable {
        // [snippet guide-netty.md: bootstrap]
        public static Server start(Path file, String host, int port, MapOptions mapOptions, WriteOptions writeOptions)
                throws IOException {
            EventLoopGroup group = Transports.eventLoopGroup(0); // epoll when its native library loads, else NIO
            ChannelFuture bound = new ServerBootstrap().group(group).channel(Transports.serverChannelClass())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new FileHandler(file, mapOptions, writeOptions));
                        }
                    })
                    .bind(host, port).awaitUninterruptibly();
            if (!bound.isSuccess()) {
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
                throw new IOException("could not bind " + host + ":" + port + " (is the port taken? 0 picks a free one)",
                        bound.cause());
            }
            return new Server(group, bound.channel());
        }
        // [end snippet]

        public int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            // Shutting the group down closes the connections still open: their body writers fail and cancel their
            // sources, which unmaps every window.
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // [snippet guide-netty.md: handler]
    /** One per connection: GET and HEAD answered with the file, anything else with 405; keep-alive. */
    static final class FileHandler extends ChannelInboundHandlerAdapter {
        private final Path file;
        private final MapOptions mapOptions;
        private final WriteOptions writeOptions;
        private boolean sending; // a body is being written (touched on the event loop only)

        FileHandler(Path file, MapOptions mapOptions, WriteOptions writeOptions) {
            this.file = file;
            this.mapOptions = mapOptions;
            this.writeOptions = writeOptions;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest request) {
                    handle(ctx, request);
                }
            } finally {
                ReferenceCountUtil.release(msg); // request bodies (HttpContent) are read and dropped
            }
        }

        private void handle(ChannelHandlerContext ctx, HttpRequest request) {
            if (sending || request.decoderResult().isFailure()) {
                ctx.close(); // a pipelined request (not supported here) or one the codec could not parse
                return;
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpMethod method = request.method();
            if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
                HttpResponse notAllowed = new DefaultFullHttpResponse(request.protocolVersion(), HttpResponseStatus.METHOD_NOT_ALLOWED);
                notAllowed.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD").setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                HttpUtil.setKeepAlive(notAllowed, keepAlive);
                end(ctx.writeAndFlush(notAllowed), keepAlive);
                return;
            }
            long size;
            try {
                size = Files.size(file); // one stat; the file was checked at start-up
            } catch (IOException e) {
                ctx.close();
                return;
            }
            // The head first: Content-Length is the promise the body must keep.
            HttpResponse head = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.CONTENT_TYPE, ContentTypes.forFileName(file.getFileName().toString()))
                    .set(HttpHeaderNames.CONTENT_LENGTH, size);
            HttpUtil.setKeepAlive(head, keepAlive);
            ctx.write(head);
            if (method.equals(HttpMethod.HEAD)) {
                end(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
                return;
            }
            // Each window becomes a ByteBuf whose release, once Netty has written it, unmaps the window. The writer
            // maps the next one only while the channel is writable and under writeOptions' byte budget.
            Flux<ByteBuf> body = MappedByteBufs.byteBufs(MappedFile.windows(file, 0, size, mapOptions));
            sending = true;
            ChannelBodyWriter.write(ctx, body, writeOptions).addListener((ChannelFuture written) -> {
                sending = false;
                if (written.isSuccess()) {
                    end(ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
                } else {
                    // Peer gone, or the file shrank/vanished: the body cannot reach Content-Length, and padding it
                    // would hand the client a corrupt file. Ending the connection tells it the body is incomplete.
                    ctx.close();
                }
            });
        }

        private static void end(ChannelFuture lastWrite, boolean keepAlive) {
            if (!keepAlive) {
                lastWrite.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
    // [end snippet]
}
