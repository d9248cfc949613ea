package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelProgressiveFuture;
import io.netty.channel.ChannelProgressiveFutureListener;
import io.netty.channel.ChannelProgressivePromise;
import io.netty.channel.ChannelPromise;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.reactivemmap.FileTruncatedException;
import io.reactivemmap.internal.NativeAccess;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The subscriber behind {@link ChannelBodyWriter#write}. Every field but {@link #subscription} and {@link #hops} is
 * touched only on {@code ctx.executor()}: signals arriving on other threads hop there, in order.
 */
final class BodySubscriber implements CoreSubscriber<ByteBuf> {
    private final ChannelHandlerContext ctx;
    private final EventExecutor executor;
    private final ChannelPromise promise;
    private final long maxBytesInFlight;
    private final int maxChunkSize;
    private final boolean dropWrittenPages;
    /** How long a buffer is written before its written pages are dropped: see {@link #write}. */
    private static final long DROP_AFTER_NANOS = 100_000_000L;
    /** Page dropping for {@link #current}, or null when its pages are not dropped. */
    private @Nullable Dropping currentDropping;
    private final WritabilityHandler writabilityHandler = new WritabilityHandler();
    /** Close futures notify on the channel's event loop, which need not be {@code ctx.executor()}. */
    private final ChannelFutureListener closeListener = f -> onExecutor(() -> fail(new ClosedChannelException(), false), null);

    /** Signals queued to the executor and not yet run; a signal on the executor runs inline only when this is 0. */
    private final AtomicInteger hops = new AtomicInteger();
    private volatile @Nullable Subscription subscription;

    // Executor-confined state.
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>(2);
    /** The buffer being written piece by piece (the writer's own reference), or null. */
    private @Nullable ByteBuf current;
    private long inFlight;
    private long unflushed;
    private boolean outstanding;
    /** The source signalled onComplete or onError. */
    private boolean sourceDone;
    private boolean terminated;
    private boolean draining;
    private boolean redrain;
    /** The message written right before the first buffer (a response head), until it is written; or null. */
    private @Nullable Object head;

    BodySubscriber(ChannelHandlerContext ctx, WriteOptions options, ChannelPromise promise) {
        this(ctx, null, options, promise);
    }

    /** @param head written right before the body's first buffer; ownership of it is transferred to the subscriber */
    BodySubscriber(ChannelHandlerContext ctx, @Nullable Object head, WriteOptions options, ChannelPromise promise) {
        this.ctx = ctx;
        this.head = head;
        this.executor = ctx.executor();
        this.promise = promise;
        this.maxBytesInFlight = options.maxBytesInFlight();
        this.maxChunkSize = options.maxChunkSize();
        this.dropWrittenPages = options.dropWrittenPages() && NativeAccess.available();
    }

    ChannelPromise promise() {
        return promise;
    }

    /** The executor refused to start the body (it is shut down): nothing ran, nothing else touches this subscriber. */
    void notStarted(Throwable cause) {
        terminated = true;
        releaseHead();
        promise.tryFailure(cause);
    }

    /** On the executor. */
    void start(Publisher<? extends ByteBuf> body) {
        Channel channel = ctx.channel();
        if (!channel.isActive()) {
            terminated = true;
            releaseHead();
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        try {
            ctx.pipeline().addAfter(ctx.name(), null, writabilityHandler);
        } catch (RuntimeException e) {
            terminated = true;
            releaseHead();
            promise.tryFailure(new IllegalStateException("cannot write a body through " + ctx.name()
                    + ": its handler is no longer in the pipeline " + ctx.pipeline().names(), e));
            return;
        }
        channel.closeFuture().addListener(closeListener);
        promise.addListener(f -> {
            if (f.isCancelled()) {
                fail(new CancellationException("the body write was cancelled"), true);
            }
        });
        try {
            body.subscribe(this);
        } catch (Throwable t) {
            fail(t, true);
        }
    }

    // ---- Reactive Streams signals: any thread ----

    @Override
    public void onSubscribe(Subscription s) {
        Objects.requireNonNull(s, "subscription"); // rule 2.13
        onExecutor(() -> {
            if (subscription != null || terminated) {
                s.cancel(); // rule 2.5: a second subscription, or one that arrives after the body was aborted
                return;
            }
            subscription = s;
            drain();
        }, null);
    }

    @Override
    public void onNext(ByteBuf buf) {
        Objects.requireNonNull(buf, "onNext"); // rule 2.13
        onExecutor(() -> {
            outstanding = false;
            if (terminated) {
                release(buf); // late arrival after cancel (rule 2.8)
                return;
            }
            queue.add(buf);
            drain();
        }, buf);
    }

    @Override
    public void onError(Throwable t) {
        Objects.requireNonNull(t, "onError"); // rule 2.13
        // The body is cut short: close the channel so the peer cannot take a partial body for a complete one.
        onExecutor(() -> {
            sourceDone = true; // terminated: not to be cancelled (rule 2.4)
            fail(t, true);
        }, null);
    }

    @Override
    public void onComplete() {
        onExecutor(() -> {
            outstanding = false;
            sourceDone = true;
            drain();
        }, null);
    }

    /** Runs {@code task} on the executor after any signal queued before it; inline when that order allows. */
    private void onExecutor(Runnable task, @Nullable ByteBuf carried) {
        if (hops.get() == 0 && executor.inEventLoop()) {
            run(task);
            return;
        }
        hops.incrementAndGet();
        try {
            executor.execute(() -> {
                hops.decrementAndGet();
                run(task);
            });
        } catch (RejectedExecutionException e) {
            // The event loop is shut down: nothing can run there any more. Give back what we can from here.
            hops.decrementAndGet();
            if (carried != null) {
                release(carried);
            }
            releaseHead(); // (the head is only written on the executor, so it cannot be in flight)
            Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
            promise.tryFailure(e);
        }
    }

    private void run(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            fail(t, true); // never let an error escape into the source or the event loop
        }
    }

    // ---- the write loop: executor only ----

    private void drain() {
        if (terminated) {
            return;
        }
        if (draining) {
            redrain = true; // the outer loop will look again
            return;
        }
        draining = true;
        try {
            for (;;) {
                redrain = false;
                writeWhatFits();
                if (terminated) {
                    return;
                }
                boolean idle = current == null && queue.isEmpty();
                if (idle && sourceDone && inFlight == 0) {
                    if (head == null) {
                        complete();
                        return;
                    }
                    writeHeadOfEmptyBody(); // completes the body through another pass once written (maybe at once)
                    continue;
                }
                Subscription s = subscription;
                if (idle && !sourceDone && !outstanding && s != null && canWrite()) {
                    outstanding = true;
                    s.request(1); // a synchronous source calls onNext/onComplete in here: they set redrain
                    if (terminated) {
                        return;
                    }
                    if (redrain) {
                        continue; // write what just arrived before flushing, to batch
                    }
                }
                if (unflushed > 0) {
                    // About to wait (for the source, writability or the budget): never wait on unflushed data.
                    unflushed = 0;
                    ctx.flush(); // may complete writes inline, which asks for another pass
                    if (terminated) {
                        return;
                    }
                }
                if (!redrain) {
                    return;
                }
            }
        } catch (Throwable t) {
            fail(t, true);
        } finally {
            draining = false;
        }
    }

    private boolean canWrite() {
        return inFlight == 0 || (inFlight < maxBytesInFlight && ctx.channel().isWritable());
    }

    private void writeWhatFits() {
        while (!terminated && canWrite()) {
            ByteBuf c = current;
            if (c == null) {
                c = queue.poll();
                if (c == null) {
                    return;
                }
                current = c;
                // The last moment the window can be refused whole: once part of it is written, the body can only be
                // cut mid-window. A file truncated under a window that waited here (mapped ahead, the channel not
                // writable) fails the body before any of its bytes go out. One fstat per window.
                Optional<FileTruncatedException> truncated = MappedByteBufs.checkIntact(c);
                if (truncated.isPresent()) {
                    fail(truncated.get(), true);
                    return;
                }
                currentDropping = dropWrittenPages && isMappedWindow(c) ? new Dropping(c) : null;
                if (head != null) {
                    writeHead();
                }
            }
            int readable = c.readableBytes();
            if (readable == 0) {
                current = null;
                release(c);
                continue;
            }
            Dropping dropping = currentDropping;
            long offset = c.readerIndex();
            ByteBuf piece;
            if (readable <= maxChunkSize) {
                piece = c; // our reference goes to Netty with the write
                current = null;
            } else {
                // One mapping, several writes: each slice holds a reference, so the window stays mapped until the
                // last slice's write completes.
                piece = c.retainedSlice(c.readerIndex(), maxChunkSize);
                c.skipBytes(maxChunkSize);
            }
            write(piece, dropping, offset);
        }
    }

    /**
     * Writes the head, right before the first piece of the body. A failed head write fails the body (the pieces after
     * it fail as well: writes complete in order).
     */
    private void writeHead() {
        Object h = head;
        head = null;
        unflushed++;
        ctx.write(h).addListener(done -> {
            if (!done.isSuccess()) {
                fail(done.cause(), true);
            }
        });
    }

    /**
     * The body had no buffer at all: its head is all there is to write, and the body is complete once it is (it counts
     * as one byte in flight until then, so no other pass completes the body first).
     */
    private void writeHeadOfEmptyBody() {
        Object h = head;
        head = null;
        inFlight++;
        ctx.writeAndFlush(h).addListener(done -> {
            inFlight--;
            if (done.isSuccess()) {
                drain();
            } else {
                fail(done.cause(), true);
            }
        });
    }

    private void releaseHead() {
        Object h = head;
        head = null;
        if (h != null) {
            ReferenceCountUtil.release(h);
        }
    }

    /** Whether {@code buf} (under any slice, duplicate or leak-detector wrapper) is a mapped window's buffer. */
    private static boolean isMappedWindow(ByteBuf buf) {
        ByteBuf b = buf;
        for (ByteBuf inner = b.unwrap(); inner != null; inner = b.unwrap()) {
            b = inner;
        }
        return b instanceof MappedByteBuf && buf.hasMemoryAddress();
    }

    /**
     * @param dropping the page-dropping state of the buffer {@code piece} is part of, or null
     * @param offset where {@code piece} starts in that buffer. When dropping, the writer holds one more reference to
     *               the piece until the write's listener has run: Netty releases a written buffer before it completes
     *               the write's promise, and the pages must still be this window's when they are dropped.
     */
    private void write(ByteBuf piece, @Nullable Dropping dropping, long offset) {
        int n = piece.readableBytes();
        inFlight += n;
        unflushed += n;
        ChannelFuture f;
        if (dropping != null) {
            piece.retain();
            // Progress (bytes of this piece the transport has written so far) lets a slow reader's pages go as the
            // socket takes them, not only when a whole piece is done.
            ChannelProgressivePromise progressive = ctx.newProgressivePromise();
            progressive.addListener(new ChannelProgressiveFutureListener() {
                @Override
                public void operationProgressed(ChannelProgressiveFuture future, long progress, long total) {
                    if (progress > 0 && progress < n) {
                        dropping.written(offset + progress);
                    }
                }

                @Override
                public void operationComplete(ChannelProgressiveFuture future) {
                    // handled by the listener below
                }
            });
            f = ctx.write(piece, progressive);
        } else {
            f = ctx.write(piece);
        }
        f.addListener(done -> {
            inFlight -= n;
            if (dropping != null) {
                try {
                    if (done.isSuccess()) {
                        dropping.written(offset + n);
                    }
                } finally {
                    piece.release();
                }
            }
            if (!done.isSuccess()) {
                fail(done.cause(), true);
            } else {
                drain();
            }
        });
    }

    private void complete() {
        terminated = true;
        cleanUp();
        promise.trySuccess();
    }

    private void fail(Throwable cause, boolean closeChannel) {
        if (terminated) {
            return;
        }
        terminated = true;
        if (head != null) {
            // Nothing has been written: the channel is left as it was, for the caller to answer otherwise.
            releaseHead();
            closeChannel = false;
        }
        Subscription s = subscription;
        if (s != null && !sourceDone) {
            // Never cancel a source that has terminated (rule 2.4: it counts as cancelled already). Reactor's concatMap
            // hands a cancel after completion to its last inner, and for a scalar inner (Mono.just, Mono.fromSupplier)
            // that discards the value it already emitted (reactor-core#4352): a buffer that Netty may still be writing
            // would be released under it, and once more when Netty is done.
            s.cancel();
        }
        ByteBuf c = current;
        current = null;
        if (c != null) {
            release(c);
        }
        ByteBuf b;
        while ((b = queue.poll()) != null) {
            release(b);
        }
        cleanUp();
        if (closeChannel && ctx.channel().isOpen()) {
            ctx.close();
        }
        promise.tryFailure(cause);
    }

    private void cleanUp() {
        ctx.channel().closeFuture().removeListener(closeListener);
        ChannelPipeline pipeline = ctx.pipeline();
        try {
            if (pipeline.context(writabilityHandler) != null) {
                pipeline.remove(writabilityHandler);
            }
        } catch (NoSuchElementException alreadyGone) {
            // the channel was deregistered and its pipeline torn down
        }
    }

    private static void release(ByteBuf buf) {
        if (buf.refCnt() > 0) {
            buf.release();
        }
    }

    /**
     * Drops the written pages of one mapped buffer, but only while it is still being written {@value
     * #DROP_AFTER_NANOS} ns after the writer took it: a slow reader. A fast reader's window is unmapped within
     * milliseconds anyway, and dropping its pages cost measurable throughput; a slow reader's first megabytes complete
     * at once too (the kernel's socket buffer takes them), so what was written before that moment is dropped by a
     * task scheduled for it, which only touches the window if it is still alive ({@code retain} fails once the last
     * reference is gone, so the address cannot belong to another mapping by then). Executor-confined.
     */
    private final class Dropping {
        private final ByteBuf buf;
        private final long base;
        private final long started = System.nanoTime();
        private long writtenEnd;
        private long droppedEnd;
        private boolean scheduled;

        Dropping(ByteBuf buf) {
            this.buf = buf;
            this.base = buf.memoryAddress();
        }

        /** Bytes {@code [0, end)} of the buffer have been written; the caller holds a reference. */
        void written(long end) {
            writtenEnd = Math.max(writtenEnd, end);
            long age = System.nanoTime() - started;
            if (age >= DROP_AFTER_NANOS) {
                dropWritten();
            } else if (!scheduled) {
                scheduled = true;
                executor.schedule(this::dropIfStillAlive, DROP_AFTER_NANOS - age, TimeUnit.NANOSECONDS);
            }
        }

        private void dropIfStillAlive() {
            try {
                buf.retain();
            } catch (IllegalReferenceCountException unmapped) {
                return; // written and released before the deadline: a fast reader
            }
            try {
                dropWritten();
            } finally {
                buf.release();
            }
        }

        private void dropWritten() {
            // From the page holding droppedEnd (its head was written before, its tail since; the mapping begins at or
            // before the window's first page) to the last whole page written.
            long page = NativeAccess.pageSize();
            long from = (base + droppedEnd) & -page;
            long to = (base + writtenEnd) & -page;
            if (to > from) {
                NativeAccess.madvise(from, to - from, NativeAccess.MADV_DONTNEED);
                droppedEnd = to - base;
            }
        }
    }

    /** Tells the writer when the channel becomes writable again; present only while a body is being written. */
    private final class WritabilityHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext handlerCtx) {
            handlerCtx.fireChannelWritabilityChanged();
            if (handlerCtx.channel().isWritable()) {
                drain();
            }
        }

        @Override
        public boolean isSharable() {
            return false;
        }
    }
}
