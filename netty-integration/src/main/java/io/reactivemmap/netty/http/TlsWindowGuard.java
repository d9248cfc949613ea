package io.reactivemmap.netty.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ServerChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.netty.MappedByteBufs;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * Sits in front of the {@code SslHandler} (on its application side) and keeps a file truncated under a mapped window
 * from reaching the TLS engine, which reads the window with Java code: a read past the new end of the file makes the
 * JVM raise an {@link InternalError} (and the read returns garbage; the tail of the last page reads as zeros without
 * any fault).
 *
 * <p>Writes that carry mapped windows are held here until the next flush. At the flush they go on to the
 * {@code SslHandler} in pieces of {@value #PIECE} bytes, each checked ({@link MappedByteBufs#checkIntact}, one
 * {@code fstat}) and flushed (encrypted) right away, so that the time between a check and the read it protects is the
 * encryption of one piece, not of a whole window. If a window is truncated, the rest is not passed on: it is released,
 * the writes fail with the {@link FileTruncatedException}, and the connection is closed, so the client sees it end
 * before {@code Content-Length}. Holding writes until the flush matters: once a write reaches the {@code SslHandler}
 * it is encrypted even by the flush that a close performs.
 *
 * <p>A truncation between a check and the encryption cannot be ruled out by a check before it, so {@link #install}
 * also puts a gate on the network side of the {@code SslHandler}: it holds the records each flush produces and checks
 * the windows just encrypted once more, after the engine has read them. If a file is shorter by then, the records are
 * dropped and the connection is closed, so neither garbage read from a truncated mapping nor (over HTTP/2) the frames
 * that would follow a cut DATA frame reach the client; if it is still whole, what the engine read was the file's
 * bytes. A fault inside the engine's read still surfaces as an {@code InternalError} from the {@code SslHandler}'s
 * flush, which Netty routes to {@code exceptionCaught}: this handler turns it into closing the connection (the error
 * is not passed on, so no later handler treats it as fatal) and the gate sends nothing more. Replace files atomically.
 *
 * <p>{@link FileServer} installs one on every TLS connection that sends windows; other front ends (the Reactor Netty
 * {@code FileRoute}, an application's own pipeline) call {@link #install} once per connection, on its event loop.
 * Needed with the JDK TLS engine only: native engines must never be given mapped memory at all.
 *
 * <h2>Ownership</h2>
 * Held writes are released and failed if the connection closes or the handler is removed before they are flushed.
 */
public final class TlsWindowGuard extends ChannelDuplexHandler {
    private static final String NAME = "reactivemmap.tlsWindowGuard";

    /** A guard for one connection; not sharable. */
    public TlsWindowGuard() {
    }

    /**
     * Whether {@code ssl}'s engine is the JDK's (directly or in Netty's JDK wrappers), which reads buffers with Java
     * code, so that mapped windows may be given to it behind a guard. OpenSSL (netty-tcnative) and Conscrypt read raw
     * addresses from native code, where a truncated file kills the JVM: they must be given copies.
     */
    public static boolean readsWithJava(SslHandler ssl) {
        String engine = ssl.engine().getClass().getName();
        return engine.startsWith("sun.security.ssl.") || engine.equals("io.netty.handler.ssl.JdkSslEngine")
                || engine.equals("io.netty.handler.ssl.JdkAlpnSslEngine");
    }

    /**
     * The pipeline that holds {@code channel}'s {@code SslHandler}: its own, or for an HTTP/2 (or HTTP/3) stream, a
     * child channel, its connection's; {@code null} when the connection has no TLS.
     */
    public static @Nullable ChannelPipeline tlsPipeline(Channel channel) {
        if (channel.pipeline().get(SslHandler.class) != null) {
            return channel.pipeline();
        }
        Channel parent = channel.parent();
        if (parent != null && !(parent instanceof ServerChannel)
                && parent.pipeline().get(SslHandler.class) != null) {
            return parent.pipeline();
        }
        return null;
    }

    /**
     * Makes {@code channel} ready for mapped windows and says whether it is: on a plain connection there is nothing to
     * do ({@code true}); under the JDK engine the guard is installed ({@code true}); under a native engine, which must
     * be given copies, {@code false}. Call on the channel's event loop.
     */
    public static boolean guardForWindows(Channel channel) {
        ChannelPipeline tls = tlsPipeline(channel);
        if (tls == null) {
            return true;
        }
        SslHandler ssl = tls.get(SslHandler.class);
        return ssl != null && readsWithJava(ssl) && install(tls);
    }

    /**
     * Adds a guard right after the pipeline's {@code SslHandler} (on its application side), unless one is there.
     * Call on the channel's event loop.
     *
     * @return whether the pipeline now has a guard (false when it has no {@code SslHandler})
     */
    public static boolean install(ChannelPipeline pipeline) {
        if (pipeline.get(TlsWindowGuard.class) != null) {
            return true;
        }
        ChannelHandlerContext ssl = pipeline.context(SslHandler.class);
        if (ssl == null) {
            return false;
        }
        pipeline.addAfter(ssl.name(), NAME, new TlsWindowGuard()); // adds its gate before the SslHandler (handlerAdded)
        return true;
    }
    private static final System.Logger LOG = System.getLogger(TlsWindowGuard.class.getName());

    private record Held(Object msg, ChannelPromise promise) {
    }

    /** Bytes of a mapped window passed to the SslHandler per check (and flush): four TLS records. */
    static final int PIECE = 64 << 10;
    /** The plaintext of one TLS record, the SslHandler's default wrap size. */
    static final int RECORD = 16 << 10;

    private final ArrayDeque<Held> held = new ArrayDeque<>();
    private boolean holdsWindows;
    /**
     * Set (first, before any promise is failed) once a window was found truncated or faulted: from then on nothing is
     * passed to the {@code SslHandler} and the gate sends nothing. Failing a write runs its listeners at once, and they
     * write (the HTTP/2 codec answers a failed DATA write with RST_STREAM and GOAWAY): had those frames reached the
     * client after a cut DATA frame, it would have read them as the frame's payload.
     */
    private @Nullable Throwable failure;
    /** Whether {@link #flush} is running: a flush from inside it (a listener, a writability change) is folded in. */
    private boolean flushing;
    private boolean flushAgain;
    /**
     * Retained duplicates of the mapped plaintext passed to the {@code SslHandler} and not yet confirmed intact by the
     * {@link #gate} after encryption.
     */
    private final ArrayDeque<ByteBuf> unconfirmed = new ArrayDeque<>();
    /** The buffer the last entry of {@link #unconfirmed} was sliced from (identity only; never read). */
    private @Nullable ByteBuf lastUnconfirmedRoot;
    private final CiphertextGate gate = new CiphertextGate();

    /**
     * Puts this guard's {@link CiphertextGate} on the network side of the pipeline's {@code SslHandler}, however the
     * guard was added ({@link #install} or {@code addLast} after the {@code SslHandler}).
     */
    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ChannelHandlerContext ssl = ctx.pipeline().context(SslHandler.class);
        if (ssl != null && !gate.added) {
            ctx.pipeline().addBefore(ssl.name(), ctx.name() + ".gate", gate);
        }
    }

    /** Passes mapped plaintext on to the {@code SslHandler}, keeping a reference for the check after encryption. */
    private void writeMapped(ChannelHandlerContext ctx, ByteBuf plaintext, ChannelPromise promise) {
        // One reference per buffer the slices come from: the records of one window (HTTP/1.1 slices) need one check
        // of its file, not one per record.
        ByteBuf root = plaintext.unwrap() != null ? plaintext.unwrap() : plaintext;
        if (gate.added && root != lastUnconfirmedRoot) {
            unconfirmed.add(plaintext.retainedDuplicate());
            lastUnconfirmedRoot = root;
        }
        ctx.write(plaintext, promise);
    }

    private void releaseUnconfirmed() {
        lastUnconfirmedRoot = null;
        ByteBuf b;
        while ((b = unconfirmed.poll()) != null) {
            ReferenceCountUtil.safeRelease(b);
        }
    }

    /**
     * On the network side of the {@code SslHandler}: holds the ciphertext it writes until its flush, then checks
     * (after the engine has read them) that the files of the windows it encrypted are still intact, and only then lets
     * the records go to the socket. A check before encryption cannot rule out a truncation during the engine's read,
     * whose faulting load returns garbage and is reported late; a check after it can: if the file is still as long as
     * the windows at that point, what the engine read was the file's bytes. A truncated file drops the held records,
     * everything after them, and closes the connection, so no record of garbage (nor a record that would follow a
     * cut HTTP/2 frame) reaches the client.
     */
    private final class CiphertextGate extends ChannelOutboundHandlerAdapter {
        private final ArrayDeque<Held> records = new ArrayDeque<>();
        /** Whether the gate is in a pipeline ({@link #install} puts it there); a guard added alone keeps no references. */
        boolean added;
        /** The gate's context: a close after a failure starts here, on the socket side of the {@code SslHandler}. */
        @Nullable ChannelHandlerContext context;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            added = true;
            context = ctx;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            Throwable f = failure;
            if (f != null) {
                ReferenceCountUtil.safeRelease(msg);
                promise.tryFailure(f);
                return;
            }
            if (unconfirmed.isEmpty() && records.isEmpty()) {
                ctx.write(msg, promise);
                return;
            }
            records.add(new Held(msg, promise));
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (failure != null) {
                ctx.flush(); // nothing is held: whatever went to the socket before the failure is on its way
                return;
            }
            if (!unconfirmed.isEmpty()) {
                for (ByteBuf b : unconfirmed) {
                    Optional<FileTruncatedException> t = MappedByteBufs.checkIntact(b);
                    if (t.isPresent()) {
                        FileTruncatedException e = t.get();
                        LOG.log(Level.DEBUG, () -> "closing " + ctx.channel().remoteAddress() + ": a window was truncated "
                                + "while it was encrypted; its records are not sent: " + e.getMessage());
                        fail(ctx, e);
                        return;
                    }
                }
            }
            releaseUnconfirmed();
            Held h;
            while ((h = records.poll()) != null) {
                ctx.write(h.msg, h.promise);
            }
            ctx.flush();
        }

        /** Drops (releases and fails) every record held; called once {@link #failure} is set. */
        void dropHeld(Throwable cause) {
            releaseUnconfirmed();
            Held h;
            while ((h = records.poll()) != null) {
                ReferenceCountUtil.safeRelease(h.msg);
                h.promise.tryFailure(cause);
            }
        }

        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            flush(ctx); // records held before the close are checked and sent (or dropped) first
            ctx.close(promise);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            added = false;
            dropHeld(new IOException("the connection was closed before the body was sent"));
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Throwable f = failure;
        if (f != null) {
            ReferenceCountUtil.safeRelease(msg);
            promise.tryFailure(f);
            return;
        }
        boolean mapped = msg instanceof ByteBuf b && MappedByteBufs.isMapped(b);
        if (!mapped && !holdsWindows && !flushing) {
            ctx.write(msg, promise);
            return;
        }
        // Once a window is held, everything after it waits too, to keep the order of the writes; so does a write made
        // during a flush (its listeners, a writability change), which may still be cutting a window into pieces.
        holdsWindows = true;
        held.add(new Held(msg, promise));
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (flushing) {
            // From inside a flush (a failed write's listener, a writability change): written in order once the
            // flush in progress is done with the window it is cutting into pieces.
            flushAgain = true;
            return;
        }
        flushing = true;
        try {
            do {
                flushAgain = false;
                if (failure != null) {
                    break;
                }
                flushHeld(ctx);
            } while (flushAgain);
        } finally {
            flushing = false;
        }
        ctx.flush();
    }

    private void flushHeld(ChannelHandlerContext ctx) {
        if (holdsWindows) {
            holdsWindows = false;
            Held h;
            // Mapped bytes written since the last flush: many small mapped writes (HTTP/2 DATA frames of 16 KiB, a body
            // writer with small chunks) must be flushed every PIECE bytes too, not once after the whole batch, or the
            // time between a write's check and its encryption grows with the batch.
            int sinceFlush = 0;
            while ((h = held.poll()) != null) {
                if (!(h.msg instanceof ByteBuf b) || !MappedByteBufs.isMapped(b)) {
                    ctx.write(h.msg, h.promise);
                    continue;
                }
                // Piece by piece, each checked right before the SslHandler encrypts it in the flush that follows:
                // a flush encrypts everything written before it, and a whole window takes milliseconds to encrypt.
                // Written as slices of one TLS record: the SslHandler then encrypts each as it is, without first
                // copying (coalescing) it with others, so the only reader of the mapping is the TLS engine.
                int sinceCheck = PIECE;
                while (b.readableBytes() > RECORD) {
                    if (sinceCheck >= PIECE) {
                        if (truncated(ctx, b, h.promise)) {
                            return;
                        }
                        sinceCheck = 0;
                    }
                    writeMapped(ctx, b.readRetainedSlice(RECORD), ctx.newPromise()); // a failure fails the last slice too
                    sinceCheck += RECORD;
                    sinceFlush += RECORD;
                    if (sinceCheck >= PIECE) {
                        ctx.flush(); // encrypts what was checked, before the next check
                        sinceFlush = 0;
                    }
                }
                if (truncated(ctx, b, h.promise)) {
                    return;
                }
                sinceFlush += b.readableBytes();
                writeMapped(ctx, b, h.promise);
                if (sinceFlush >= PIECE) {
                    ctx.flush();
                    sinceFlush = 0;
                }
            }
        }
    }

    /** If {@code b}'s window is truncated: releases it and everything held, fails their writes, closes the connection. */
    private boolean truncated(ChannelHandlerContext ctx, ByteBuf b, ChannelPromise promise) {
        Optional<FileTruncatedException> truncated = MappedByteBufs.checkIntact(b);
        if (truncated.isEmpty()) {
            return false;
        }
        FileTruncatedException e = truncated.get();
        LOG.log(Level.DEBUG, () -> "closing " + ctx.channel().remoteAddress() + " before encrypting a truncated window: "
                + e.getMessage());
        // The bytes before this piece are on their way: the body (over HTTP/2 a DATA frame) is cut here. Nothing more may
        // follow on this connection, or the client reads the frames written after it (RST_STREAM, GOAWAY) as payload:
        // the failure is recorded before the promise below runs its listeners.
        failure = e;
        ReferenceCountUtil.safeRelease(b);
        promise.tryFailure(e);
        fail(ctx, e);
        return true;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof InternalError) {
            // The JVM's report of a fault in mapped memory (a file truncated between our check and the encryption):
            // the response cannot be completed; end the connection rather than let anything treat the error as fatal.
            LOG.log(Level.DEBUG, () -> "closing " + ctx.channel().remoteAddress() + " after a fault reading a mapped window"
                    + " (the file was truncated while it was sent): " + cause);
            fail(ctx, new IOException("the file was truncated while it was sent over TLS", cause));
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        // Held windows must not be encrypted by the flush the SslHandler does when it closes.
        failHeld(new IOException("the connection was closed before the body was sent"));
        ChannelHandlerContext socketSide = gate.context;
        if (failure != null && socketSide != null) {
            // After a truncation the SslHandler must not close by itself: its close wraps what it still holds (mapped
            // plaintext of the truncated file: a fault in the engine, which Netty then reports twice) and writes a
            // close_notify the gate would drop anyway. The connection is closed under it.
            socketSide.close(promise);
            return;
        }
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        failHeld(new IOException("the connection was closed before the body was sent"));
    }

    /**
     * Ends the connection after a truncation or a fault: records the failure first (so that nothing written by the
     * listeners of the writes failed here gets through), then drops what the gate and this guard hold, and closes.
     */
    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        gate.dropHeld(failure);
        failHeld(failure);
        ChannelHandlerContext socketSide = gate.context;
        (socketSide != null ? socketSide : ctx).close(); // not through the SslHandler: see close
    }

    private void failHeld(Throwable cause) {
        holdsWindows = false;
        Held h;
        while ((h = held.poll()) != null) {
            ReferenceCountUtil.safeRelease(h.msg);
            h.promise.tryFailure(cause);
        }
    }
}
