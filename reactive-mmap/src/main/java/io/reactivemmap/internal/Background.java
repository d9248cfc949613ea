package io.reactivemmap.internal;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads that populate windows ahead of their readers and retry unmaps that had to be deferred.
 * Populating is page-fault work (about 100 ns a page): doing it here puts it on another core while the
 * subscriber reads the previous window. Threads time out when idle, so an idle library holds no thread.
 */
public final class Background {
    private static final AtomicInteger IDS = new AtomicInteger();
    private static final ThreadFactory FACTORY = r -> {
        Thread t = new Thread(r, "reactive-mmap-prefetch-" + IDS.incrementAndGet());
        t.setDaemon(true);
        return t;
    };
    private static final ThreadPoolExecutor EXECUTOR;

    static {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        EXECUTOR = new ThreadPoolExecutor(threads, threads, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), FACTORY);
        EXECUTOR.allowCoreThreadTimeOut(true);
    }

    private Background() {
    }

    public static void execute(Runnable task) {
        EXECUTOR.execute(task);
    }
}
