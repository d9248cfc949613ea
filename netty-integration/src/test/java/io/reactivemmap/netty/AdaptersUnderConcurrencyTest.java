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
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte-buf and data-buffer adapters inherit the source's cancellation guarantee: cancelled from timer threads
 * and disposed on {@code subscribeOn} workers (which Reactor interrupts), with no discard hook of the user's, they
 * leave no window mapped (checked by {@link NoLeakedWindows}, statistics and /proc/self/maps) and no buffer leaked.
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
}
