package io.reactivemmap;

import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A plain subscriber that requests nothing by itself and records what it gets: tests drive demand by hand and
 * decide when windows are closed. Windows are kept (not closed) unless an {@code onNext} action closes them.
 */
final class RecordingSubscriber implements CoreSubscriber<MappedWindow> {
    final List<MappedWindow> received = new CopyOnWriteArrayList<>();
    final CountDownLatch terminated = new CountDownLatch(1);
    private final Consumer<MappedWindow> onNext;
    volatile @Nullable Subscription subscription;
    volatile @Nullable Throwable error;
    volatile boolean completed;

    /** Keeps every window open until the test closes it. */
    RecordingSubscriber() {
        this(w -> { });
    }

    RecordingSubscriber(Consumer<MappedWindow> onNext) {
        this.onNext = onNext;
    }

    /** Closes each window as soon as it is received. */
    static RecordingSubscriber closing() {
        return new RecordingSubscriber(MappedWindow::close);
    }

    @Override
    public void onSubscribe(Subscription s) {
        subscription = s;
    }

    @Override
    public void onNext(MappedWindow window) {
        received.add(window);
        onNext.accept(window);
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        terminated.countDown();
    }

    @Override
    public void onComplete() {
        completed = true;
        terminated.countDown();
    }

    void request(long n) {
        subscription().request(n);
    }

    void cancel() {
        subscription().cancel();
    }

    Subscription subscription() {
        Subscription s = subscription;
        if (s == null) {
            throw new AssertionError("onSubscribe was not called");
        }
        return s;
    }

    boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    void closeAll() {
        received.forEach(MappedWindow::close);
    }

    long openCount() {
        return received.stream().filter(MappedWindow::isOpen).count();
    }
}
