package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.MappingBudgetExhaustedException;
import io.reactivemmap.MappingStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class ChannelBodyWriterTest {
    private static final int WINDOW = 100_000;
    private static final MapOptions OPTIONS = MapOptions.defaults().withWindowSize(WINDOW).withMaxLiveBytes(1 << 20);

    @TempDir
    Path dir;

    /** The handler whose context the body is written through (last in the pipeline, like an application handler). */
    private static final class App extends ChannelInboundHandlerAdapter {
        ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }
    }

    private static void assertPattern(byte[] got, long length) {
        assertEquals(length, got.length, "bytes received");
        for (int i = 0; i < got.length; i++) {
            if (got[i] != TestFiles.byteAt(i)) {
                throw new AssertionError("byte " + i + " differs: " + got[i] + " != " + TestFiles.byteAt(i));
            }
        }
    }

    private Flux<ByteBuf> body(Path file) {
        return MappedByteBufs.byteBufs(MappedFile.windows(file, OPTIONS));
    }

    @Test
    void writesTheWholeFileByteExactAndFlushesInBatches() throws Exception {
        int size = 7 * WINDOW + 123;
        Path file = TestFiles.pattern(dir, "f", size);
        SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);

        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file), new WriteOptions(256 * 1024, 40_000));
        while (!f.isDone()) {
            peer.deliverAll();
        }
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertPattern(peer.received.toByteArray(), size);
        assertTrue(peer.largestWrite <= 40_000, "writes are cut to maxChunkSize: " + peer.largestWrite);
        assertTrue(peer.flushes < peer.writes / 2, "flushed per batch, not per write: " + peer.flushes + " flushes for "
                + peer.writes + " writes");
        assertEquals(0, peer.heldWrites());
        assertFalse(ch.pipeline().names().stream().anyMatch(n -> n.contains("WritabilityHandler")),
                "the writability handler is removed when the body is done: " + ch.pipeline().names());
        assertTrue(ch.isOpen(), "a complete body leaves the channel open");
        ch.finishAndReleaseAll();
    }

    @Test
    void writtenPagesOfAMappedWindowLeaveTheProcessWhenAskedAndTheReaderIsSlow() throws Exception {
        int window = 4 << 20;
        Path file = TestFiles.pattern(dir, "resident", window);
        // {drop, slow reader}: only a slow reader's window (written for over 100 ms) has its written pages dropped.
        for (boolean[] c : new boolean[][] {{false, true}, {true, true}, {true, false}}) {
            boolean drop = c[0], slow = c[1];
            java.util.concurrent.atomic.AtomicReference<io.reactivemmap.MappedWindow> kept = new java.util.concurrent.atomic.AtomicReference<>();
            // The test keeps one more reference, so the window is still mapped when the body is done and its resident
            // pages can be counted.
            Flux<ByteBuf> body = MappedByteBufs.byteBufs(MappedFile.windows(file, MapOptions.defaults()
                    .withWindowSize(window).withPopulateAhead(false)).doOnNext(w -> kept.set(w.retain())));
            SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0); // reads every byte of a write before completing it
            App app = new App();
            EmbeddedChannel ch = new EmbeddedChannel(peer, app);
            ChannelFuture f = ChannelBodyWriter.write(app.ctx, body, new WriteOptions(256 * 1024, 256 * 1024, drop)); // a piece at a time
            while (!f.isDone()) {
                if (slow) {
                    Thread.sleep(10); // 16 pieces, one per 10 ms: the window is written for about 160 ms
                    peer.deliver(256 * 1024);
                } else {
                    peer.deliverAll();
                }
            }
            assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
            assertPattern(peer.received.toByteArray(), window);
            long resident;
            try {
                resident = TestFiles.residentKiB(file);
            } finally {
                kept.get().release();
            }
            String what = "drop " + drop + ", slow " + slow + ": " + resident + " KiB of 4096 resident";
            if (drop && slow) {
                assertTrue(resident <= 64, what);
            } else {
                assertTrue(resident >= 4000, what);
            }
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void whatASlowReaderTookAtOnceIsDroppedWhenItsWindowOutlivesTheDeadline() throws Exception {
        // The kernel's socket buffer takes a slow reader's first megabytes at once: those writes complete young, and
        // are dropped by the task scheduled for the deadline if the window is still being written then.
        int window = 4 << 20;
        Path file = TestFiles.pattern(dir, "stalled", window);
        Flux<ByteBuf> body = MappedByteBufs.byteBufs(MappedFile.windows(file, MapOptions.defaults()
                .withWindowSize(window).withPopulateAhead(false)));
        SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body, new WriteOptions(Long.MAX_VALUE, 256 * 1024, true));
        peer.deliver(2 << 20); // half the window, at once
        long atOnce = TestFiles.residentKiB(file);
        Thread.sleep(150);
        ch.runScheduledPendingTasks();
        long afterDeadline = TestFiles.residentKiB(file);
        assertTrue(atOnce >= 2000, "what was read at once is resident until the deadline: " + atOnce + " KiB");
        assertTrue(afterDeadline <= 64, "dropped at the deadline, the window still being written: " + afterDeadline + " KiB");
        peer.deliverAll();
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertPattern(peer.received.toByteArray(), window);
        ch.runScheduledPendingTasks();
        ch.finishAndReleaseAll();
    }

    @Test
    void pagesAreNeverDroppedFromBuffersThatAreNotMappedWindows() throws Exception {
        // MADV_DONTNEED on anonymous memory would zero it: a direct buffer's bytes must survive the write intact.
        ByteBuf direct = io.netty.buffer.Unpooled.directBuffer(1 << 20);
        for (int i = 0; i < (1 << 20); i++) {
            direct.writeByte(TestFiles.byteAt(i));
        }
        ByteBuf keep = direct.retainedDuplicate();
        SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, Flux.just(direct), new WriteOptions(Long.MAX_VALUE, 64 * 1024, true));
        while (!f.isDone()) {
            peer.deliverAll();
        }
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        byte[] after = new byte[1 << 20];
        keep.getBytes(0, after);
        keep.release();
        assertPattern(after, 1 << 20);
        ch.finishAndReleaseAll();
    }

    @Test
    void writesThroughARealEmbeddedOutboundBuffer() throws Exception {
        int size = 3 * WINDOW + 7;
        Path file = TestFiles.pattern(dir, "f", size);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file), WriteOptions.defaults().withMaxChunkSize(30_000));
        ch.runPendingTasks();
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            b.readBytes(out, b.readableBytes());
            b.release();
        }
        assertPattern(out.toByteArray(), size);
        assertFalse(ch.finish());
    }

    @Test
    void bytesInFlightStayWithinTheBudgetPlusOneWriteWhileThePeerIsSlow() throws Exception {
        int size = 40 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0); // writability never changes: only the byte budget applies
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);
        long budget = 300_000;
        int chunk = 64 * 1024;
        MappingStats.resetPeak();
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file), new WriteOptions(budget, chunk));
        while (!f.isDone()) {
            assertTrue(peer.heldBytes <= budget + chunk, "in flight: " + peer.heldBytes);
            peer.deliver(50_000); // a slow reader: a little at a time
            ch.runPendingTasks();
        }
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertPattern(peer.received.toByteArray(), size);
        assertTrue(peer.maxHeldBytes <= budget + chunk, "max in flight " + peer.maxHeldBytes);
        assertTrue(peer.maxHeldBytes >= budget - chunk, "the budget is used, not a trickle: " + peer.maxHeldBytes);
        long peak = MappingStats.snapshot().peakMappedBytes();
        assertTrue(peak <= OPTIONS.maxLiveBytes() + 2 * 4096, "mapped at once: " + peak);
        ch.finishAndReleaseAll();
    }

    @Test
    void stopsWhileTheChannelIsNotWritableAndResumesOnWritability() throws Exception {
        int size = 20 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        long high = 150_000;
        int chunk = 32 * 1024;
        SlowPeer peer = new SlowPeer(high, 40_000);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file), new WriteOptions(Long.MAX_VALUE, chunk));
        ch.runPendingTasks();
        assertFalse(ch.isWritable());
        long stalled = peer.heldBytes;
        assertTrue(stalled > high && stalled <= high + chunk, "writes stop once unwritable: " + stalled);

        // Writes complete, but the channel stays unwritable (someone else's data, say): only one more piece goes out,
        // the one allowed when nothing of ours is in flight.
        peer.automaticWritability = false;
        peer.deliver(Long.MAX_VALUE);
        ch.runPendingTasks();
        assertEquals(1, peer.heldWrites(), "with nothing in flight exactly one piece proceeds");
        assertTrue(peer.maxHeldBytesWhileUnwritable <= high + chunk);

        // Writable again: the writer resumes on channelWritabilityChanged without any write completing.
        int writesBefore = peer.writes;
        peer.automaticWritability = true;
        peer.setWritable(true);
        ch.runPendingTasks();
        assertTrue(peer.writes > writesBefore + 1, "resumed on writability: " + writesBefore + " -> " + peer.writes);

        while (!f.isDone()) {
            peer.deliver(60_000);
            ch.runPendingTasks();
            assertTrue(peer.maxHeldBytesWhileUnwritable <= high + chunk, "in flight while unwritable: "
                    + peer.maxHeldBytesWhileUnwritable);
        }
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertPattern(peer.received.toByteArray(), size);
        ch.finishAndReleaseAll();
    }

    @Test
    void realWatermarksBoundWhatIsQueuedInNetty() throws Exception {
        int size = 10 * WINDOW;
        Path file = TestFiles.pattern(dir, "f", size);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        ch.config().setWriteBufferWaterMark(new WriteBufferWaterMark(20_000, 50_000));
        AtomicInteger maxPending = new AtomicInteger();
        // Never flushed by anyone but the writer, never read: the outbound buffer's pending bytes show the bound.
        ch.pipeline().addFirst(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
                ctx.write(msg, promise);
                maxPending.accumulateAndGet((int) (ctx.channel().unsafe().outboundBuffer().totalPendingWriteBytes()), Math::max);
            }
        });
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file), new WriteOptions(Long.MAX_VALUE, 16 * 1024));
        ch.runPendingTasks();
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertTrue(maxPending.get() <= 50_000 + 16 * 1024, "unflushed bytes stayed near the high watermark: " + maxPending.get());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            b.readBytes(out, b.readableBytes());
            b.release();
        }
        assertPattern(out.toByteArray(), size);
        ch.finishAndReleaseAll();
    }

    @Test
    void channelClosedMidWriteCancelsTheSourceAndReleasesEverything() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 30 * WINDOW);
        SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);
        AtomicBoolean cancelled = new AtomicBoolean();
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file).doOnCancel(() -> cancelled.set(true)),
                new WriteOptions(250_000, 30_000));
        peer.deliver(100_000);
        ch.runPendingTasks();
        assertTrue(peer.heldWrites() > 0);
        assertTrue(MappingStats.snapshot().liveWindows() > 0);

        ch.close();
        ch.runPendingTasks();
        assertTrue(f.isDone());
        assertInstanceOf(ClosedChannelException.class, f.cause());
        assertTrue(cancelled.get(), "the source is cancelled");
        assertEquals(0, peer.heldWrites());
        NoLeakedWindows.assertNothingMapped();
        ch.finishAndReleaseAll();
    }

    @Test
    void sourceErrorMidBodyClosesTheChannelAndFailsTheFuture() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 10 * WINDOW);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        IOException boom = new IOException("disk on fire");
        Flux<ByteBuf> broken = body(file).take(2).concatWith(Flux.error(boom));
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, broken, WriteOptions.defaults());
        ch.runPendingTasks();
        assertTrue(f.isDone());
        assertSame(boom, f.cause());
        assertFalse(ch.isOpen(), "a body cut short closes the channel");
        long sent = 0;
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sent += b.readableBytes();
            b.release();
        }
        assertEquals(2L * WINDOW, sent, "what was written before the error still went out");
        ch.finishAndReleaseAll();
    }

    @Test
    void aWindowWhoseFileWasTruncatedBeforeItsWriteIsNotWrittenAtAll() throws Exception {
        // Truncated after the window was mapped and handed over, before the writer took it: at its start, mid-page
        // inside it, and just short of its end. (Nothing here reads the truncated mapping: the embedded channel only
        // queues what is written, and only lengths are counted.)
        for (long cut : new long[] {2L * WINDOW, 2L * WINDOW + 1234, 3L * WINDOW - 1}) {
            Path file = TestFiles.pattern(dir, "f" + cut, 10 * WINDOW);
            App app = new App();
            EmbeddedChannel ch = new EmbeddedChannel(app);
            AtomicInteger emitted = new AtomicInteger();
            Flux<ByteBuf> body = body(file).doOnNext(b -> {
                if (emitted.getAndIncrement() == 2) {
                    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(file,
                            java.nio.file.StandardOpenOption.WRITE)) {
                        c.truncate(cut);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            ChannelFuture f = ChannelBodyWriter.write(app.ctx, body, WriteOptions.defaults());
            ch.runPendingTasks();
            assertTrue(f.isDone());
            assertInstanceOf(io.reactivemmap.FileTruncatedException.class, f.cause(), "cut at " + cut);
            assertFalse(ch.isOpen(), "a body cut short closes the channel");
            long sent = 0;
            ByteBuf b;
            while ((b = ch.readOutbound()) != null) {
                sent += b.readableBytes();
                b.release();
            }
            assertEquals(2L * WINDOW, sent, "cut at " + cut + ": the two whole windows before it, nothing of the third");
            ch.finishAndReleaseAll();
            NoLeakedWindows.assertNothingMapped();
        }
    }

    @Test
    void aWriteThatFailsAbortsTheBody() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 10 * WINDOW);
        App app = new App();
        IOException refused = new IOException("write refused");
        EmbeddedChannel ch = new EmbeddedChannel(new io.netty.channel.ChannelOutboundHandlerAdapter() {
            int n;

            @Override
            public void write(ChannelHandlerContext ctx, Object msg, io.netty.channel.ChannelPromise promise) {
                if (++n == 3) {
                    ((ByteBuf) msg).release();
                    promise.setFailure(refused);
                } else {
                    ctx.write(msg, promise);
                }
            }
        }, app);
        AtomicBoolean cancelled = new AtomicBoolean();
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file).doOnCancel(() -> cancelled.set(true)),
                WriteOptions.defaults().withMaxChunkSize(10_000));
        ch.runPendingTasks();
        assertSame(refused, f.cause());
        assertTrue(cancelled.get());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aClosedChannelFailsAtOnceWithoutSubscribing() throws Exception {
        Path file = TestFiles.pattern(dir, "f", WINDOW);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        ch.close();
        AtomicBoolean subscribed = new AtomicBoolean();
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file).doOnSubscribe(s -> subscribed.set(true)),
                WriteOptions.defaults());
        assertInstanceOf(ClosedChannelException.class, f.cause());
        assertFalse(subscribed.get());
    }

    @Test
    void cancellingTheFutureAbortsTheBody() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 30 * WINDOW);
        SlowPeer peer = new SlowPeer(Long.MAX_VALUE, 0);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(peer, app);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, body(file), new WriteOptions(250_000, 30_000));
        ch.runPendingTasks();
        assertTrue(f.cancel(false));
        ch.runPendingTasks();
        assertInstanceOf(CancellationException.class, f.cause());
        assertFalse(ch.isOpen());
        NoLeakedWindows.assertNothingMapped();
        ch.finishAndReleaseAll();
    }

    @Test
    void emptyBuffersAndAnEmptyBodyComplete() {
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        ByteBuf empty = Unpooled.directBuffer(8);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, Flux.just(empty, Unpooled.copiedBuffer(new byte[] {1, 2})),
                WriteOptions.defaults());
        ch.runPendingTasks();
        assertTrue(f.isSuccess());
        assertEquals(0, empty.refCnt(), "an empty buffer is released, not written");
        ByteBuf out = ch.readOutbound();
        assertEquals(2, out.readableBytes());
        out.release();
        assertTrue(ChannelBodyWriter.write(app.ctx, Flux.empty(), WriteOptions.defaults()).isSuccess());
        assertThrows(NullPointerException.class, () -> ChannelBodyWriter.write(app.ctx, null, WriteOptions.defaults()));
        assertThrows(IllegalArgumentException.class, () -> new WriteOptions(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new WriteOptions(1, 0));
        ch.finishAndReleaseAll();
    }

    private static String text(ByteBuf b) {
        try {
            return b.toString(java.nio.charset.StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    @Test
    void aHeadIsWrittenRightBeforeTheFirstBufferNotWhileTheSourceHasNone() {
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        Sinks.Many<ByteBuf> source = Sinks.many().unicast().onBackpressureBuffer();
        ByteBuf head = Unpooled.copiedBuffer("HEAD|", java.nio.charset.StandardCharsets.US_ASCII);
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, head, source.asFlux(), WriteOptions.defaults());
        ch.runPendingTasks();
        assertNull(ch.readOutbound(), "the head waits for the body's first buffer");
        assertEquals(1, head.refCnt());

        source.tryEmitNext(Unpooled.copiedBuffer("body", java.nio.charset.StandardCharsets.US_ASCII));
        ch.runPendingTasks();
        assertEquals("HEAD|", text(ch.readOutbound()));
        assertEquals("body", text(ch.readOutbound()));
        source.tryEmitComplete();
        ch.runPendingTasks();
        assertTrue(f.isSuccess(), () -> String.valueOf(f.cause()));
        assertTrue(ch.isOpen());

        ByteBuf alone = Unpooled.copiedBuffer("HEAD ONLY", java.nio.charset.StandardCharsets.US_ASCII);
        ChannelFuture empty = ChannelBodyWriter.write(app.ctx, alone, Flux.empty(), WriteOptions.defaults());
        ch.runPendingTasks();
        assertTrue(empty.isSuccess(), () -> String.valueOf(empty.cause()));
        assertEquals("HEAD ONLY", text(ch.readOutbound()), "a body without buffers still writes its head");
        assertThrows(NullPointerException.class, () -> ChannelBodyWriter.write(app.ctx, null, Flux.empty(), WriteOptions.defaults()));
        ch.finishAndReleaseAll();
    }

    @Test
    void aBodyThatEndsBeforeItsFirstBufferWritesNothingReleasesTheHeadAndLeavesTheChannelOpen() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 3 * WINDOW);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);

        // a source error (a budget wait that timed out, say)
        MappingBudgetExhaustedException spent = new MappingBudgetExhaustedException("budget spent");
        ByteBuf head1 = Unpooled.copiedBuffer(new byte[] {1});
        ChannelFuture failed = ChannelBodyWriter.write(app.ctx, head1, Flux.error(spent), WriteOptions.defaults());
        ch.runPendingTasks();
        assertSame(spent, failed.cause());
        // a cancelled future, with a mapped source that has not emitted yet
        ByteBuf head2 = Unpooled.copiedBuffer(new byte[] {2});
        Sinks.Many<ByteBuf> silent = Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean cancelled = new AtomicBoolean();
        ChannelFuture aborted = ChannelBodyWriter.write(app.ctx, head2, silent.asFlux().doOnCancel(() -> cancelled.set(true)),
                WriteOptions.defaults());
        ch.runPendingTasks();
        assertTrue(aborted.cancel(false));
        ch.runPendingTasks();
        assertTrue(cancelled.get(), "the source is cancelled");

        for (ByteBuf head : new ByteBuf[] {head1, head2}) {
            assertEquals(0, head.refCnt(), "an unwritten head is released");
        }
        assertNull(ch.readOutbound(), "nothing was written");
        assertTrue(ch.isActive(), "nothing was written: the caller may still answer on this channel");

        // the same channel then serves a body normally
        ChannelFuture ok = ChannelBodyWriter.write(app.ctx, Unpooled.copiedBuffer(new byte[] {3}), body(file), WriteOptions.defaults());
        ch.runPendingTasks();
        assertTrue(ok.isSuccess(), () -> String.valueOf(ok.cause()));
        ByteBuf first = ch.readOutbound();
        assertEquals(1, first.readableBytes());
        assertEquals(3, first.getByte(0));
        first.release();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            b.readBytes(out, b.readableBytes());
            b.release();
        }
        assertPattern(out.toByteArray(), 3 * WINDOW);

        ch.close();
        ByteBuf head4 = Unpooled.copiedBuffer(new byte[] {4});
        assertInstanceOf(ClosedChannelException.class, ChannelBodyWriter.write(app.ctx, head4, body(file), WriteOptions.defaults()).cause());
        assertEquals(0, head4.refCnt(), "a head for a closed channel is released");
        ch.finishAndReleaseAll();
    }

    @Test
    void aBodyThatFailsAfterItsHeadWentOutClosesTheChannel() throws Exception {
        Path file = TestFiles.pattern(dir, "f", 4 * WINDOW);
        App app = new App();
        EmbeddedChannel ch = new EmbeddedChannel(app);
        IOException boom = new IOException("disk on fire");
        ChannelFuture f = ChannelBodyWriter.write(app.ctx, Unpooled.copiedBuffer(new byte[] {9}),
                body(file).take(1).concatWith(Flux.error(boom)), WriteOptions.defaults());
        ch.runPendingTasks();
        assertSame(boom, f.cause());
        assertFalse(ch.isActive(), "a response cut short after its head closes the channel");
        long sent = 0;
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sent += b.readableBytes();
            b.release();
        }
        assertEquals(1 + WINDOW, sent, "the head and the first window went out");
        ch.finishAndReleaseAll();
    }
}
