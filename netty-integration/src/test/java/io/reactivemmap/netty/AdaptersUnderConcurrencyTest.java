package io.reactivemmap.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivemmap.MapOptions;
import io.reactivemmap.MappedFile;
import io.reactivemmap.netty.spring.MappedDataBuffers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte-buf and data-buffer adapters inherit the source's cancellation guarantee: cancelled from timer threads
 * and disposed on {@code subscribeOn} workers (which Reactor interrupts), with no discard hook of the user's, they
 * leave no window mapped (checked by {@link NoLeakedWindows}, statistics and /proc/self/maps) and no buffer leaked.
 *
 * <p>Correct by construction, not by a protocol of their own: on Netty both are a plain {@code map} over the window
 * source, so {@code cancel()} reaches the source's claim/wait protocol and no buffer follows a returned cancel.
 */
@ExtendWith({NettyLeakCheck.class, NoLeakedWindows.class})
class AdaptersUnderConcurrencyTest {
    private static final int RUNS = 200;
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    @Test
    void byteBufsCancelledByATimerThreadLeaveNothingMapped() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 128L * PAGE);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1);
        Random random = new Random(11);
        for (int run = 0; run < RUNS; run++) {
            CountDownLatch done = new CountDownLatch(1);
            MappedByteBufs.byteBufs(MappedFile.windows(file, options))
                    .takeUntilOther(Mono.delay(Duration.ofNanos(random.nextInt(300_000))))
                    .doFinally(signal -> done.countDown())
                    .subscribe(ByteBuf::release);
            assertTrue(done.await(10, TimeUnit.SECONDS), "run " + run + " never terminated");
        }
    }

    @Test
    void dataBuffersDisposedOnASubscribeOnWorkerLeaveNothingMapped() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 64L * PAGE);
        NettyDataBufferFactory factory = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);
        MapOptions options = MapOptions.defaults().withWindowSize(4 * PAGE);
        for (int run = 0; run < RUNS; run++) {
            Disposable d = MappedDataBuffers.read(file, options, factory)
                    .subscribeOn(Schedulers.parallel())
                    .subscribe(DataBufferUtils::release);
            d.dispose();
        }
    }

    /** Stands for an operator that has cancelled: releases what it gets until cancel() returned, then drops it. */
    private static final class LateBufferRecorder<T> implements Subscriber<T> {
        final AtomicReference<Subscription> subscription = new AtomicReference<>();
        final AtomicBoolean cancelReturned = new AtomicBoolean();
        final AtomicInteger late = new AtomicInteger();
        final Consumer<T> release;

        LateBufferRecorder(Consumer<T> release) {
            this.release = release;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription.set(s);
        }

        @Override
        public void onNext(T buffer) {
            if (cancelReturned.get()) {
                late.incrementAndGet();
                return;
            }
            release.accept(buffer);
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }

        void cancel() {
            subscription.get().cancel();
            cancelReturned.set(true);
        }
    }

    private static <T> int lateAfterCancelFromAnotherThread(java.util.function.Supplier<Publisher<T>> source,
                                                           Consumer<T> release) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        Random random = new Random(1416);
        int late = 0;
        try {
            for (int run = 0; run < 300; run++) {
                LateBufferRecorder<T> s = new LateBufferRecorder<>(release);
                source.get().subscribe(s);
                long delay = random.nextInt(200_000);
                var drainer = pool.submit(() -> s.subscription.get().request(Long.MAX_VALUE));
                var canceller = pool.submit(() -> {
                    LockSupport.parkNanos(delay);
                    s.cancel();
                });
                drainer.get(10, TimeUnit.SECONDS);
                canceller.get(10, TimeUnit.SECONDS);
                late += s.late.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return late;
    }

    @Test
    void noByteBufFollowsCancelReturnedOnAnotherThread() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 256L * PAGE);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1);
        int late = lateAfterCancelFromAnotherThread(() -> MappedByteBufs.byteBufs(MappedFile.windows(file, options)),
                ByteBuf::release);
        assertEquals(0, late, "buffers delivered after cancel() had returned");
    }

    @Test
    void noNettyDataBufferFollowsCancelReturnedOnAnotherThread() throws Exception {
        Path file = TestFiles.pattern(dir, "f.bin", 256L * PAGE);
        NettyDataBufferFactory factory = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);
        MapOptions options = MapOptions.defaults().withWindowSize(PAGE).withReadAhead(1);
        int late = lateAfterCancelFromAnotherThread(() -> MappedDataBuffers.read(file, options, factory),
                DataBufferUtils::release);
        assertEquals(0, late, "buffers delivered after cancel() had returned");
    }
}
