/*
 * Kotlin coroutine extensions for reactive-mmap. They ship in the core jar; kotlin-stdlib and
 * kotlinx-coroutines-core are optional dependencies of it, so Java users carry neither.
 */
package io.reactivemmap

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.FlowCollector
import kotlinx.coroutines.flow.collect
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.launch
import org.reactivestreams.Publisher
import org.reactivestreams.Subscription
import reactor.core.publisher.BaseSubscriber
import java.nio.file.Path
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext

/**
 * The whole file as a cold [Flow] of [MappedWindow]s: the coroutine form of [MappedFile.windows].
 *
 * Each collection opens the file anew. Windows are requested one at a time, the next when the collector returns
 * from the previous one; the source's [MapOptions.readAhead] maps ahead of that demand, so no extra window waits
 * inside the flow. Mapping, backpressure and the byte bound are the Java source's; see [MappedFile.windows].
 *
 * ```kotlin
 * val crc = CRC32C()
 * path.mappedWindows(MapOptions.defaults().withWindowSize(4L shl 20)).collect { window ->
 *     window.use { crc.update(it.asByteBuffer()) }
 * }
 * ```
 *
 * ## Ownership
 * A window that the flow hands to its collector (the collector's `emit` was called with it) belongs to the
 * collector, which must [close][MappedWindow.close] it, typically with `use { }`, even when it throws or is
 * cancelled. This holds for terminal operators that keep a window: `first()` returns an open window that the
 * caller must close. It also holds for intermediate operators: whatever they drop without passing on (`filter`,
 * `drop`, `takeWhile`, `distinctUntilChanged`, `first { predicate }` reject elements silently) stays mapped, so
 * close rejected windows in the predicate, or choose the bytes up front with the range variant.
 *
 * ## Discard Support
 * The flow closes by itself every window it mapped and did not hand over: windows read ahead, windows waiting
 * between the Reactor source and the collector, and windows that arrive after the collector stopped, on
 * completion, on error (of the file or of the collector) and on cancellation of the collecting coroutine.
 * kotlinx operators that put a channel between two coroutines (`buffer`, `flowOn`, `conflate`, `produceIn`,
 * `shareIn`, `stateIn`) drop the elements they hold on cancellation without closing them: windows held there stay
 * mapped (they are never unmapped by the garbage collector). Use [bufferWindows] instead, or read each window in
 * place with [readWindows]. Re-emitting the windows from your own `flow { emitAll(...) }` leaves a narrow race:
 * that builder's `emit` checks for cancellation before passing a window on and drops it if the coroutine was
 * cancelled just then; collect this flow directly instead.
 *
 * ## Errors
 * Argument errors throw at once, as in Java. File errors ([java.nio.file.NoSuchFileException],
 * [FileTruncatedException], ...) are thrown from `collect` after the windows emitted before them, as the very
 * exception instances the Java source signals (not copies made by coroutine stack-trace recovery).
 *
 * @receiver the file to map
 * @param options window size, read-ahead, advice and budget
 */
public fun Path.mappedWindows(options: MapOptions = MapOptions.defaults()): Flow<MappedWindow> =
    MappedFile.windows(this, options).asWindowFlow()

/**
 * Bytes `[offset, offset + length)` of the file as a [Flow] of [MappedWindow]s; see [mappedWindows] for ownership,
 * discards and errors, and [MappedFile.windows] for the range rules.
 *
 * ## Ownership
 * Each window handed to the collector belongs to it, which must close it; everything else is closed by the flow.
 *
 * @param offset first byte, `>= 0`
 * @param length bytes to stream, `>= 0`, with `offset + length` not overflowing a `Long`
 * @throws IllegalArgumentException at once if the range is negative or overflows
 */
public fun Path.mappedWindows(
    offset: Long,
    length: Long,
    options: MapOptions = MapOptions.defaults(),
): Flow<MappedWindow> = MappedFile.windows(this, offset, length, options).asWindowFlow()

/**
 * Applies [block] to each window of the file, in order, and closes the window right after [block] returns, throws
 * or is cancelled: the scoped way to read a file from coroutines, which cannot leak a window. The coroutine form of
 * [MappedFile.read].
 *
 * [block] must not keep the window or its views ([MappedWindow.segment], [MappedWindow.asByteBuffer]) past its
 * return. After it returns, the file's size is checked again: if the file shrank under the window, the result
 * (which may have been computed from bytes past the new end) is dropped and [FileTruncatedException] is thrown
 * instead. The [InternalError] the JVM raises when a read faults on a truncated mapping is turned into that
 * exception (or an [java.io.IOException] naming the file and range), as [MappedFile.read] does.
 *
 * ```kotlin
 * val checksums: List<Long> = path.readWindows { window ->
 *     CRC32C().apply { update(window.asByteBuffer()) }.value
 * }.toList()
 * ```
 *
 * ## Ownership
 * The flow owns every window: [block] borrows it for the duration of the call. Results are plain values; any
 * operator, `buffer` and `flowOn` included, may be applied to the returned flow.
 *
 * @param block called once per window in the collecting coroutine; its exceptions end the flow
 */
public fun <R> Path.readWindows(
    options: MapOptions = MapOptions.defaults(),
    block: suspend (MappedWindow) -> R,
): Flow<R> = mappedWindows(options).readEach(block)

/**
 * [readWindows] over bytes `[offset, offset + length)` of the file.
 *
 * ## Ownership
 * The flow owns every window; [block] borrows it for the duration of the call.
 *
 * @throws IllegalArgumentException at once if the range is negative or overflows
 */
public fun <R> Path.readWindows(
    offset: Long,
    length: Long,
    options: MapOptions = MapOptions.defaults(),
    block: suspend (MappedWindow) -> R,
): Flow<R> = mappedWindows(offset, length, options).readEach(block)

/**
 * Reads the whole file window by window, suspending until [block] has seen every window (or thrown). Each window
 * is closed right after [block] returns, throws or is cancelled; truncation is checked after each call as in
 * [readWindows].
 *
 * ```kotlin
 * val crc = CRC32C()
 * path.useWindows { window -> crc.update(window.asByteBuffer()) }
 * ```
 *
 * ## Ownership
 * This function owns every window; [block] borrows it for the duration of the call and must not keep it or its
 * views.
 *
 * @throws java.io.IOException for file errors, as [mappedWindows]; [block]'s own exceptions are rethrown
 */
public suspend fun Path.useWindows(
    options: MapOptions = MapOptions.defaults(),
    block: suspend (MappedWindow) -> Unit,
) {
    readWindows(options, block).collect()
}

/**
 * This publisher's windows as a [Flow] that closes every window it does not hand to its collector. Use it instead
 * of kotlinx-coroutines-reactive's `asFlow()`, which buffers up to 64 elements and drops them without closing on
 * cancellation.
 *
 * The publisher is subscribed once per collection and asked for one window at a time: the next after the collector
 * returns from the previous one.
 *
 * ## Ownership
 * Each window the publisher emits to this flow is owned by the flow until the flow hands it to its collector;
 * from then on the collector owns it and must close it.
 *
 * ## Discard Support
 * Closed by the flow: windows waiting between the publisher and the collector when the collector fails or is
 * cancelled, and windows the publisher emits after the flow cancelled its subscription. Windows held inside the
 * publisher's own operators (a Reactor `publishOn`, `filter`, `take`, ...) are that publisher's to close: end such
 * chains with `.doOnDiscard(MappedWindow::class.java, MappedWindow::close)`. [MappedFile.windows] needs nothing:
 * it closes what it has not emitted by itself.
 */
public fun Publisher<out MappedWindow>.asWindowFlow(): Flow<MappedWindow> = PublisherWindowFlow(this)

/**
 * Buffers up to [capacity] windows between the upstream flow, collected in a new coroutine (in [context], when
 * given), and the downstream collector: a replacement for `buffer(capacity)` and `flowOn(context)` that closes the
 * windows it drops.
 *
 * Upstream errors reach the collector after the windows buffered before them, as with `buffer`.
 *
 * ## Ownership
 * Each window the upstream emits is owned by this operator until it hands the window to the downstream collector,
 * which then owns it.
 *
 * ## Discard Support
 * When the downstream collector fails or is cancelled, or the upstream fails, every window still buffered, and any
 * window the upstream is emitting at that moment, is closed.
 *
 * @param capacity windows held between upstream and downstream, at least 1. The source's
 *   [MapOptions.maxLiveBytes] bound still applies: buffered windows count as emitted and not yet closed, so a
 *   capacity above `maxLiveBytes / windowSize` pauses the source rather than buffering more
 * @param context where the upstream is collected, like `flowOn`; must not contain a [Job]
 */
public fun Flow<MappedWindow>.bufferWindows(
    capacity: Int,
    context: CoroutineContext = EmptyCoroutineContext,
): Flow<MappedWindow> {
    require(capacity >= 1) { "capacity must be at least 1 window (got $capacity)" }
    require(context[Job] == null) {
        "context must not contain a Job (got $context): the buffer's coroutine is a child of the collector's"
    }
    return WindowBufferFlow(this, capacity, context)
}

/** Reads each window with [block] and closes it; reuses [MappedFile]'s truncation and fault handling. */
private fun <R> Flow<MappedWindow>.readEach(block: suspend (MappedWindow) -> R): Flow<R> = map { window ->
    // The upstream hands the window straight to this lambda (no channel in between), so from here `use` closes it
    // on every path: return, exception, cancellation.
    window.use {
        val result = try {
            block(window)
        } catch (fault: InternalError) {
            // SIGBUS on a truncated mapping: the JVM reports it as an Error Reactor and coroutines would treat as fatal.
            throw window.faulted(fault)
        }
        // The block may have read bytes past a new end of file (zeros, or garbage until a late InternalError):
        // its result is not trusted if the file shrank under the window.
        val truncated = window.checkIntact()
        if (truncated.isPresent) {
            throw truncated.get()
        }
        result
    }
}

/**
 * Hands a window to the collector, which owns it once `emit` is called. A cancelled collecting coroutine is checked
 * first, while the window is still ours to close.
 */
private suspend fun FlowCollector<MappedWindow>.emitWindow(window: MappedWindow) {
    try {
        currentCoroutineContext().ensureActive()
    } catch (e: CancellationException) {
        window.close()
        throw e
    }
    emit(window)
}

/**
 * A [Flow] implemented directly rather than with `flow { }`: `flow { }`'s collector checks for cancellation inside
 * `emit` before the downstream sees the value, so a window could be lost between our hands and the collector's.
 * Here `emit` goes straight to the downstream collector. The flow does not change context and rethrows every
 * downstream exception, so the Flow invariants hold.
 */
private class PublisherWindowFlow(private val source: Publisher<out MappedWindow>) : Flow<MappedWindow> {
    override suspend fun collect(collector: FlowCollector<MappedWindow>) {
        // Windows wait here between the Reactor source and the collector. Demand is one at a time, so it holds at most
        // one in practice; UNLIMITED keeps trySend from ever failing for capacity even with a publisher that ignores
        // demand. Whatever it still holds when the flow stops, or a receive cancelled after taking an element, is
        // closed by onUndeliveredElement.
        val channel = Channel<MappedWindow>(Channel.UNLIMITED, onUndeliveredElement = MappedWindow::close)
        val subscriber = ChannelSubscriber(channel)
        try {
            source.subscribe(subscriber)
            for (window in channel) {
                collector.emitWindow(window)
                subscriber.requestNext()
            }
            // Thrown here rather than through the channel so the caller gets the source's own exception instance
            // (a channel's close cause may be copied by coroutine stack-trace recovery).
            subscriber.failure()?.let { throw it }
        } finally {
            // Collector done, failed or cancelled: stop the source (it closes what it read ahead and anything that
            // would arrive late), then close whatever the channel still holds.
            subscriber.cancel()
            channel.cancel()
        }
    }
}

/** Feeds a channel from a Reactor source, one window of demand at a time. */
private class ChannelSubscriber(private val channel: Channel<MappedWindow>) : BaseSubscriber<MappedWindow>() {
    private val error = AtomicReference<Throwable?>()

    override fun hookOnSubscribe(subscription: Subscription) {
        subscription.request(1)
    }

    override fun hookOnNext(window: MappedWindow) {
        if (!channel.trySend(window).isSuccess) {
            // The flow has stopped and cancelled the channel (a window arriving after cancellation). close() is
            // idempotent, so this is safe even if onUndeliveredElement closed it already.
            window.close()
        }
    }

    override fun hookOnComplete() {
        channel.close()
    }

    override fun hookOnError(throwable: Throwable) {
        // Published before close(): the collector reads it after seeing the channel closed.
        error.set(throwable)
        channel.close()
    }

    fun requestNext() = request(1)

    fun failure(): Throwable? = error.get()
}

/** See [bufferWindows]. Implemented directly as [PublisherWindowFlow] is, for the same reason. */
private class WindowBufferFlow(
    private val upstream: Flow<MappedWindow>,
    private val capacity: Int,
    private val context: CoroutineContext,
) : Flow<MappedWindow> {
    override suspend fun collect(collector: FlowCollector<MappedWindow>): Unit = coroutineScope {
        // A window whose send fails (the channel was cancelled, or the sending coroutine was), a window still buffered
        // when the channel is cancelled, and a window taken by a receive that was then cancelled are all closed here.
        val channel = Channel<MappedWindow>(capacity, onUndeliveredElement = MappedWindow::close)
        val failure = AtomicReference<Throwable?>()
        val producer = launch(context) {
            try {
                upstream.collect { window -> channel.send(window) }
            } catch (e: Throwable) {
                // Delivered after the windows buffered before it, as `buffer` does; not thrown here, which would
                // cancel the collector's scope and skip them.
                failure.set(e)
            } finally {
                channel.close()
            }
        }
        try {
            for (window in channel) {
                collector.emitWindow(window)
            }
            failure.get()?.let { throw it }
        } finally {
            channel.cancel()
            producer.cancel()
        }
    }
}
