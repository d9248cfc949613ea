package io.reactivemmap.benchmarks.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCounted;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.benchmarks.LongSum;
import io.reactivemmap.netty.ChannelBodyWriter;
import io.reactivemmap.netty.MappedByteBufs;
import io.reactivemmap.netty.WriteOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Flux;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The write path of mapped buffers: one operation writes the whole hot file through {@link ChannelBodyWriter} (the
 * file server's writer: bounded bytes in flight, writes cut to {@link WriteOptions#maxChunkSize()}) into an
 * {@link EmbeddedChannel} whose sink copies every write out, as a copying transport or TLS would, and completes it.
 * {@code :bytes} is bytes per second.
 *
 * <ul>
 *   <li>{@link #mapped}: windows of {@code size} bytes as {@link MappedByteBufs} buffers (the zero-copy path); the
 *       sink's release unmaps each window.</li>
 *   <li>{@link #pooledCopy}: the same bytes read ({@code FileChannel.read}) into pooled direct buffers of
 *       {@code size} bytes ({@link PooledByteBufAllocator#DEFAULT}; buffers above the pool's chunk size are not
 *       pooled), what a copying file body does.</li>
 * </ul>
 *
 * A zero-copy transport (epoll writing from the buffer's address) saves the mapped path the sink's copy; this
 * benchmark cannot show that saving, only what the two buffer sources cost on the same write path. Populate-ahead is
 * off: an {@code EmbeddedChannel}'s event loop is the benchmark thread and is not thread-safe, and populate-ahead
 * unmaps on its own thread. The trial starts by checking both paths deliver the file's exact bytes (sum of longs).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class MappedByteBufWrite {
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(60);

    /** Bytes per window (mapped) or per buffer (pooled copy). */
    @Param({"64KiB", "1MiB", "16MiB"})
    public String size = "1MiB";

    private final WriteOptions writeOptions = WriteOptions.defaults();
    private Path file;
    private long fileSize;
    private int bufferBytes;
    private MapOptions mapOptions;
    private FileChannel channel;
    private Sink sink;
    private App app;
    private EmbeddedChannel embedded;

    /** Stands for the socket: copies each write out of its buffer, releases the buffer, completes the write. */
    static final class Sink extends ChannelOutboundHandlerAdapter {
        private final ByteBuf out;
        long bytes;
        long firstLongs;
        boolean sumAll;
        long sum;

        Sink(int capacity) {
            out = Unpooled.directBuffer(capacity, capacity);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!(msg instanceof ByteBuf buf)) {
                promise.setFailure(new IllegalArgumentException("the sink takes ByteBufs, got " + msg));
                return;
            }
            try {
                int index = buf.readerIndex();
                int left = buf.readableBytes();
                while (left > 0) {
                    int n = Math.min(left, out.capacity());
                    buf.getBytes(index, out, 0, n); // the copy a copying transport makes
                    if (n >= 8) {
                        firstLongs += out.getLong(0);
                    }
                    if (sumAll) {
                        sum += LongSum.sumLongs(MemorySegment.ofBuffer(out.nioBuffer(0, n)), 0, n & ~7);
                    }
                    index += n;
                    left -= n;
                    bytes += n;
                }
            } finally {
                buf.release(); // as Netty does when a write completes
            }
            promise.setSuccess();
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            // nothing is held: every write completed when it was made
        }

        void release() {
            out.release();
        }
    }

    /** The handler whose context the body is written through, last in the pipeline like an application's. */
    static final class App extends ChannelInboundHandlerAdapter {
        ChannelHandlerContext ctx;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }
    }

    /** Opens the file and the channel, and checks that both paths deliver the file's bytes. */
    @Setup(Level.Trial)
    public void open(HotFile hot) throws IOException {
        bufferBytes = hot.windowOf("size", size);
        if (bufferBytes % 8 != 0) {
            throw new IllegalArgumentException("-p size=" + size + " must be a multiple of 8 bytes (the content check "
                    + "sums whole longs)");
        }
        file = hot.path();
        fileSize = hot.size();
        MapOptions d = MapOptions.defaults().withWindowSize(bufferBytes).withPopulateAhead(false);
        mapOptions = d.withMaxLiveBytes(Math.max(d.maxLiveBytes(), (1L + d.readAhead()) * bufferBytes));
        channel = FileChannel.open(file);
        sink = new Sink(writeOptions.maxChunkSize());
        app = new App();
        embedded = new EmbeddedChannel(sink, app);

        long expected;
        try (Arena arena = Arena.ofConfined()) {
            expected = LongSum.sumLongs(channel.map(FileChannel.MapMode.READ_ONLY, 0, fileSize, arena), 0, fileSize & ~7L);
        }
        sink.sumAll = true;
        for (String path : new String[] {"mapped", "pooledCopy"}) {
            sink.sum = 0;
            write(path, path.equals("mapped") ? mappedBody() : pooledBody());
            if (fileSize % 8 == 0 && sink.sum != expected) {
                throw new IllegalStateException(path + " delivered bytes summing to " + sink.sum + "; the file sums to "
                        + expected);
            }
        }
        sink.sumAll = false;
    }

    /** Closes the channel and the file; fails the trial if a window is still mapped. */
    @TearDown(Level.Trial)
    public void close() throws IOException, InterruptedException {
        embedded.finishAndReleaseAll();
        sink.release();
        channel.close();
        HotFile.assertNoLiveWindows("MappedByteBufWrite");
    }

    private Flux<ByteBuf> mappedBody() {
        return MappedByteBufs.byteBufs(MappedFile.windows(channel, file, 0, fileSize, mapOptions));
    }

    private Flux<ByteBuf> pooledBody() {
        return Flux.<ByteBuf, long[]>generate(() -> new long[1], (position, next) -> {
            long pos = position[0];
            if (pos >= fileSize) {
                next.complete();
                return position;
            }
            int n = (int) Math.min(bufferBytes, fileSize - pos);
            ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(n, n);
            try {
                while (buf.writerIndex() < n) {
                    if (buf.writeBytes(channel, pos + buf.writerIndex(), n - buf.writerIndex()) < 0) {
                        throw new EOFException(file + " ended at " + (pos + buf.writerIndex()) + " of " + fileSize);
                    }
                }
            } catch (IOException | RuntimeException e) {
                buf.release();
                next.error(e);
                return position;
            }
            position[0] = pos + n;
            next.next(buf);
            return position;
        }).doOnDiscard(ByteBuf.class, ReferenceCounted::release);
    }

    /** Writes one body through the writer and runs the channel's tasks until it is done; checks it is all there. */
    private void write(String path, Flux<ByteBuf> body) {
        long before = sink.bytes;
        ChannelFuture done = ChannelBodyWriter.write(app.ctx, body, writeOptions);
        long deadline = System.nanoTime() + BODY_TIMEOUT.toNanos();
        while (!done.isDone()) {
            embedded.runPendingTasks();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(path + ": the body was not written within " + BODY_TIMEOUT);
            }
        }
        if (!done.isSuccess()) {
            throw new IllegalStateException(path + ": the body failed", done.cause());
        }
        if (sink.bytes - before != fileSize) {
            throw new IllegalStateException(path + ": the sink got " + (sink.bytes - before) + " bytes of " + fileSize);
        }
    }

    /** Mapped windows as {@link MappedByteBufs} buffers, written zero-copy up to the sink. */
    @Benchmark
    public void mapped(Bytes bytes, Blackhole bh) {
        write("mapped", mappedBody());
        bh.consume(sink.firstLongs);
        bytes.bytes += fileSize;
    }

    /** The same bytes read into pooled direct buffers. */
    @Benchmark
    public void pooledCopy(Bytes bytes, Blackhole bh) {
        write("pooledCopy", pooledBody());
        bh.consume(sink.firstLongs);
        bytes.bytes += fileSize;
    }
}
