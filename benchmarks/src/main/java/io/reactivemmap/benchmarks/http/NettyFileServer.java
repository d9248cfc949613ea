package io.reactivemmap.benchmarks.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;

/**
 * Peer: the classic Netty 4.2 static file handler, as in Netty's own {@code HttpStaticFileServer} example.
 * Plain HTTP writes one {@link DefaultFileRegion} per response (sendfile on epoll); TLS writes a
 * {@link ChunkedNioFile} of 8 KiB chunks through {@link ChunkedWriteHandler} into an {@code SslHandler} built
 * with the JDK provider. epoll when available, NIO otherwise; Netty's default event-loop count.
 *
 * <pre>usage: NettyFileServer --root DIR [--host 127.0.0.1] --port N [--tls --cert CERT.pem --key KEY.pem]</pre>
 */
public final class NettyFileServer {
    static final int TLS_CHUNK_SIZE = 8192;

    private NettyFileServer() {
    }

    public static void main(String[] args) throws Exception {
        PeerOptions options = PeerOptions.parse("NettyFileServer", args);
        @Nullable SslContext ssl = options.tls()
                ? SslContextBuilder.forServer(Objects.requireNonNull(options.cert()).toFile(),
                        Objects.requireNonNull(options.key()).toFile())
                    .sslProvider(SslProvider.JDK)
                    .build()
                : null;
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> serverChannel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(io);
        try {
            Channel channel = new ServerBootstrap()
                    .group(group)
                    .channel(serverChannel)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ChannelPipeline p = ch.pipeline();
                            if (ssl != null) {
                                p.addLast(ssl.newHandler(ch.alloc()));
                            }
                            p.addLast(new HttpServerCodec());
                            p.addLast(new HttpServerKeepAliveHandler());
                            p.addLast(new ChunkedWriteHandler());
                            p.addLast(new FileHandler(options, ssl != null));
                        }
                    })
                    .bind(options.host(), options.port()).sync().channel();
            System.out.println("NettyFileServer (" + (epoll ? "epoll" : "nio: " + Epoll.unavailabilityCause())
                    + (ssl != null ? ", TLS JDK provider, ChunkedNioFile " + TLS_CHUNK_SIZE : ", DefaultFileRegion")
                    + ") serving " + options.root() + " at " + options.url());
            channel.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
    }

    private static final class FileHandler extends SimpleChannelInboundHandler<HttpObject> {
        private final PeerOptions options;
        private final boolean tls;

        FileHandler(PeerOptions options, boolean tls) {
            this.options = options;
            this.tls = tls;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) throws IOException {
            if (!(msg instanceof HttpRequest request)) {
                return; // request bodies (LastHttpContent) are ignored: GET/HEAD only
            }
            boolean head = request.method().equals(HttpMethod.HEAD);
            if (!head && !request.method().equals(HttpMethod.GET)) {
                sendError(ctx, request, HttpResponseStatus.METHOD_NOT_ALLOWED);
                return;
            }
            Optional<Path> file = options.resolve(request.uri());
            if (file.isEmpty()) {
                sendError(ctx, request, HttpResponseStatus.NOT_FOUND);
                return;
            }
            FileChannel fc = FileChannel.open(file.get(), StandardOpenOption.READ);
            long length = fc.size();
            HttpResponse response = new DefaultHttpResponse(request.protocolVersion(), HttpResponseStatus.OK);
            HttpUtil.setContentLength(response, length);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_OCTET_STREAM);
            HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
            ctx.write(response);
            if (head) {
                fc.close();
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            } else if (tls) {
                // SslHandler takes only ByteBufs: copy through 8 KiB chunks; HttpChunkedInput ends with LastHttpContent.
                ctx.writeAndFlush(new HttpChunkedInput(new ChunkedNioFile(fc, 0, length, TLS_CHUNK_SIZE)));
            } else {
                // Zero copy: DefaultFileRegion closes fc when released after the write.
                ctx.write(new DefaultFileRegion(fc, 0, length));
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }

        private static void sendError(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status) {
            FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status, Unpooled.EMPTY_BUFFER);
            HttpUtil.setContentLength(response, 0);
            HttpUtil.setKeepAlive(response, HttpUtil.isKeepAlive(request));
            ctx.writeAndFlush(response);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }
}
