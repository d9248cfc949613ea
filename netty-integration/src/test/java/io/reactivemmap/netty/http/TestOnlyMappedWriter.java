package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.reactivemmap.MappedWindow;
import io.reactivemmap.netty.WriteOptions;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;

/**
 * TEST-ONLY stand-in for {@code MappedByteBufs.byteBufs} and {@code ChannelBodyWriter.write}, so the server's mapped
 * path can be exercised before the real contract is merged. NOT zero-copy (each window is copied to the heap and
 * closed at once) and one buffer in flight at a time. Delete once MappedServerTest runs against the real classes.
 */
final class TestOnlyMappedWriter {
    private TestOnlyMappedWriter() {
    }

    static MappedBodySender sender(FileServerOptions options) {
        return new MappedBodySender(FileServer.mapOptions(options), FileServer.writeOptions(options),
                TestOnlyMappedWriter::copies, TestOnlyMappedWriter::write);
    }

    static Flux<ByteBuf> copies(Flux<MappedWindow> windows) {
        return windows.map(w -> {
            try (w) {
                return Unpooled.copiedBuffer(w.asByteBuffer());
            }
        });
    }

    static ChannelFuture write(ChannelHandlerContext ctx, Publisher<? extends ByteBuf> body, WriteOptions options) {
        ChannelPromise done = ctx.newPromise();
        body.subscribe(new BaseSubscriber<ByteBuf>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                ctx.channel().closeFuture().addListener(f -> {
                    cancel();
                    done.tryFailure(new java.nio.channels.ClosedChannelException());
                });
                s.request(1);
            }

            @Override
            protected void hookOnNext(ByteBuf buf) {
                if (!ctx.channel().isActive()) {
                    ReferenceCountUtil.release(buf);
                    return;
                }
                ctx.writeAndFlush(buf).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        request(1);
                    }
                });
            }

            @Override
            protected void hookOnComplete() {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> {
                    if (f.isSuccess()) {
                        done.trySuccess();
                    } else {
                        done.tryFailure(f.cause());
                    }
                });
            }

            @Override
            protected void hookOnError(Throwable t) {
                done.tryFailure(t);
                ctx.close();
            }
        });
        return done;
    }
}
