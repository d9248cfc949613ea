package io.reactivemmap.internal;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads that populate windows ahead of their readers and retry unmaps that had to be deferred, and one that
 * runs the timers of budget waits. Populating is page-fault work (about 100 ns a page): doing it here puts it on
 * another core while the subscriber reads the previous window. Threads time out when idle, so an idle library holds
 * no thread.
 */
public final class Background {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final ThreadFactory FACTORY = r -> {
        Thread t = new Thread(r, "reactive-mmap-prefetch-" + IDS.incrementAndGet());
        t.setDaemon(true);
        return t;
    };
    private static final ThreadPoolExecutor EXECUTOR;
    /** Timers only: each task just wakes a source, whose own drain does the work. */
    private static final ScheduledThreadPoolExecutor TIMER;

    static {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        EXECUTOR = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), FACTORY);
        EXECUTOR.allowCoreThreadTimeOut(true);
        TIMER = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "reactive-mmap-timer-" + IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        TIMER.setRemoveOnCancelPolicy(true); // a wait that ended in time leaves nothing queued behind
        TIMER.setKeepAliveTime(10, TimeUnit.SECONDS);
        TIMER.allowCoreThreadTimeOut(true);
    }

    private Background() {
    }

    public static void execute(Runnable task) {
        EXECUTOR.execute(task);
    }

    /** Runs {@code task} once, after {@code delayNanos}, on the timer thread; cancel the future to drop it. */
    public static ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        return TIMER.schedule(task, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    }
}
