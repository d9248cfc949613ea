package io.reactivemmap

import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.collect
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.onEach
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.coroutines.yield
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.io.TempDir
import reactor.core.publisher.Flux
import reactor.core.publisher.FluxSink
import reactor.test.publisher.TestPublisher
import java.io.IOException
import java.lang.foreign.ValueLayout
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.util.Collections

@ExtendWith(NoLeakedWindows::class)
class MappedFileExtensionsTest {
    @TempDir
    lateinit var dir: Path

    private val window = 4096
    private val small: MapOptions = MapOptions.defaults().withPopulateAhead(false).withWindowSize(window.toLong())

    private fun patternFile(size: Long, name: String = "f.bin"): Path = TestFiles.pattern(dir, name, size)

    private fun MappedWindow.bytes(): ByteArray = segment().toArray(ValueLayout.JAVA_BYTE)

    private fun expected(offset: Long, length: Int) = ByteArray(length) { TestFiles.byteAt(offset + it) }

    /** [count] windows of a file, emitted and owned by the caller (for sources that misbehave on purpose). */
    private fun ownedWindows(count: Int): List<MappedWindow> =
        MappedFile.windows(patternFile(count * window.toLong(), "owned.bin"), small).take(count.toLong())
            .collectList().block()!!

    // --- mappedWindows ------------------------------------------------------------------------------------------

    @Test
    fun mappedWindowsCoverEveryByteOfTheFileInOrder() = runBlocking {
        val size = 5L * window + 123
        val file = patternFile(size)
        var next = 0L
        file.mappedWindows(small).collect { w ->
            w.use {
                assertEquals(next, w.offset())
                assertArrayEquals(expected(w.offset(), w.length()), w.bytes(), "window at ${w.offset()}")
                next = w.end()
            }
        }
        assertEquals(size, next)
    }

    @Test
    fun mappedWindowsOverARangeStartAndEndAtTheRange() = runBlocking {
        val file = patternFile(4L * window)
        val seen = file.mappedWindows(1000, 10_000, small).map { w ->
            w.use { Triple(w.offset(), w.length(), w.bytes().contentEquals(expected(w.offset(), w.length()))) }
        }.toList()
        assertEquals(listOf(Triple(1000L, 4096, true), Triple(5096L, 4096, true), Triple(9192L, 1808, true)), seen)
    }

    @Test
    fun takeThenCancelLeavesNothingMapped() = runBlocking {
        val file = patternFile(20L * window)
        val offsets = file.mappedWindows(small.withReadAhead(2)).take(3).map { w -> w.use { w.offset() } }.toList()
        assertEquals(listOf(0L, 4096L, 8192L), offsets)
        // NoLeakedWindows checks that the windows read ahead were closed.
    }

    @Test
    fun firstReturnsAnOpenWindowThatTheCallerOwns() {
        val file = patternFile(3L * window)
        val first = runBlocking { file.mappedWindows(small).first() }
        first.use {
            assertTrue(first.isOpen, "the collector owns the window it received, so it must still be mapped")
            assertEquals(0L, first.offset())
            assertArrayEquals(expected(0, window), first.bytes())
        }
    }

    @Test
    fun cancellingTheCollectingJobMidStreamLeavesNothingMapped() = runBlocking {
        val file = patternFile(50L * window)
        val secondWindow = CompletableDeferred<Unit>()
        val job = launch(Dispatchers.Default) {
            file.mappedWindows(small).collect { w ->
                w.use {
                    if (w.offset() == window.toLong()) {
                        secondWindow.complete(Unit)
                        awaitCancellation()
                    }
                }
            }
        }
        secondWindow.await()
        job.cancelAndJoin()
        assertTrue(job.isCancelled)
    }

    @Test
    fun aTimeoutWhileTheCollectorHoldsAWindowLeavesNothingMapped() = runBlocking {
        val file = patternFile(10L * window)
        val result = withTimeoutOrNull(50) {
            file.mappedWindows(small).collect { w -> w.use { delay(Long.MAX_VALUE) } }
        }
        assertNull(result)
    }

    @Test
    fun aTimeoutWhileTheSourceWaitsForBudgetLeavesNothingMapped() = runBlocking {
        // One window of budget, held elsewhere: the flow's source waits for budget, and the flow waits for the source.
        val budget = MappingBudget.of(1, Long.MAX_VALUE)
        val options = small.withBudget(budget).withReadAhead(0)
        val holder = MappedFile.windows(patternFile(2L * window, "other.bin"), options).blockFirst()!!
        val waitsBefore = MappingStats.snapshot().budgetWaits()
        try {
            val result = withTimeoutOrNull(100) {
                patternFile(4L * window).mappedWindows(options).collect { it.close() }
            }
            assertNull(result)
            assertTrue(MappingStats.snapshot().budgetWaits() > waitsBefore, "the source should have waited for budget")
        } finally {
            holder.close()
        }
        // The budget freed after cancellation must not map a window for the cancelled flow.
        assertEquals(0, budget.liveWindows())
    }

    @Test
    fun anExceptionFromTheCollectorIsRethrownAndLeavesNothingMapped() {
        val file = patternFile(10L * window)
        val e = assertThrows<IllegalStateException> {
            runBlocking {
                file.mappedWindows(small).collect { w ->
                    w.use { check(w.offset() < 2L * window) { "collector failed at ${w.offset()}" } }
                }
            }
        }
        assertEquals("collector failed at 8192", e.message)
    }

    @Test
    fun aMissingFileFailsWithTheSameNoSuchFileExceptionAsJava() {
        val missing = dir.resolve("missing.bin")
        val javaError = MappedFile.windows(missing).materialize().blockFirst()!!.throwable!!
        val viaFlow = assertThrows<NoSuchFileException> { runBlocking { missing.mappedWindows().collect { it.close() } } }
        val viaRead = assertThrows<NoSuchFileException> { runBlocking { missing.readWindows { 1 }.toList() } }
        val viaUse = assertThrows<NoSuchFileException> { runBlocking { missing.useWindows { } } }
        for (e in listOf(viaFlow, viaRead, viaUse)) {
            assertEquals(javaError.javaClass, e.javaClass)
            assertEquals(javaError.message, e.message)
            assertEquals(missing.toString(), e.file)
        }
    }

    @Test
    fun aFileTruncatedWhileStreamingFailsTheFlowWithFileTruncatedException() {
        val file = patternFile(4L * window)
        var received = 0
        val e = assertThrows<FileTruncatedException> {
            runBlocking {
                file.mappedWindows(small).collect { w ->
                    w.close() // not read: the bytes under it are about to go
                    received++
                    FileChannel.open(file, StandardOpenOption.WRITE).use { it.truncate(window.toLong() + 10) }
                }
            }
        }
        assertEquals(1, received)
        assertEquals(file, e.path())
        assertEquals(window + 10L, e.observedSize())
    }

    @Test
    fun argumentErrorsThrowAtOnceLikeJava() {
        val file = patternFile(10)
        assertThrows<IllegalArgumentException> { file.mappedWindows(-1, 5) }
        assertThrows<IllegalArgumentException> { file.readWindows(Long.MAX_VALUE, 1) { it.length() } }
    }

    // --- asWindowFlow -------------------------------------------------------------------------------------------

    @Test
    fun windowsWaitingBetweenThePublisherAndTheCollectorAreClosedWhenTheCollectorStops() = runBlocking {
        val windows = ownedWindows(5)
        // A publisher that ignores demand pushes all five into the flow's hand-over channel at once.
        val pushy = Flux.create<MappedWindow>({ sink -> windows.forEach(sink::next); sink.complete() },
            FluxSink.OverflowStrategy.IGNORE)
        val taken = pushy.asWindowFlow().take(1).map { w -> w.use { w.offset() } }.toList()
        assertEquals(listOf(0L), taken)
        assertTrue(windows.none { it.isOpen }, "windows still open: ${windows.filter { it.isOpen }}")
    }

    @Test
    fun windowsWaitingInTheFlowAreClosedWhenTheCollectorThrows() {
        val windows = ownedWindows(5)
        val pushy = Flux.create<MappedWindow>({ sink -> windows.forEach(sink::next); sink.complete() },
            FluxSink.OverflowStrategy.IGNORE)
        assertThrows<IllegalStateException> {
            runBlocking { pushy.asWindowFlow().collect { w -> w.use { error("collector failed") } } }
        }
        assertTrue(windows.none { it.isOpen }, "windows still open: ${windows.filter { it.isOpen }}")
    }

    @Test
    fun aWindowArrivingAfterCancellationIsClosed() = runBlocking {
        val (first, late) = ownedWindows(2)
        val publisher = TestPublisher.createNoncompliant<MappedWindow>(
            TestPublisher.Violation.DEFER_CANCELLATION, TestPublisher.Violation.REQUEST_OVERFLOW)
        val job = launch(start = CoroutineStart.UNDISPATCHED) {
            publisher.asWindowFlow().collect { w -> w.use { awaitCancellation() } }
        }
        publisher.next(first)
        yield() // the collector takes the first window and waits
        job.cancelAndJoin()
        publisher.assertCancelled()
        assertFalse(first.isOpen)
        publisher.next(late) // a publisher that ignores cancellation, as a source racing with cancel may
        assertFalse(late.isOpen, "a window arriving after cancellation must be closed by the flow")
    }

    @Test
    fun windowsBeforeAnErrorAreDeliveredThenTheErrorIsThrown() {
        val windows = ownedWindows(3)
        val boom = IOException("disk on fire")
        val offsets = mutableListOf<Long>()
        val e = assertThrows<IOException> {
            runBlocking {
                Flux.concat(Flux.fromIterable(windows), Flux.error(boom)).asWindowFlow()
                    .collect { w -> w.use { offsets += w.offset() } }
            }
        }
        assertTrue(e === boom, "the publisher's own exception instance: $e")
        assertEquals(listOf(0L, 4096L, 8192L), offsets)
    }

    // --- buffer and bufferWindows -------------------------------------------------------------------------------

    @Test
    fun kotlinxBufferDropsWindowsWithoutClosingThemOnCancellation() = runBlocking {
        // What bufferWindows exists for: the documented hazard of kotlinx's buffer() (and flowOn, conflate, ...).
        val handedToBuffer = Collections.synchronizedList(mutableListOf<MappedWindow>())
        try {
            patternFile(20L * window).mappedWindows(small)
                .onEach { handedToBuffer += it }
                .buffer(4)
                .take(1)
                .collect { it.close() }
            val dropped = handedToBuffer.filter { it.isOpen }
            assertTrue(dropped.isNotEmpty(), "expected buffer() to drop open windows; handed: ${handedToBuffer.size}")
        } finally {
            handedToBuffer.forEach(MappedWindow::close) // clean up what buffer() leaked
        }
    }

    @Test
    fun bufferWindowsClosesTheWindowsItHoldsWhenTheCollectorStops() = runBlocking {
        val handedToBuffer = Collections.synchronizedList(mutableListOf<MappedWindow>())
        val offsets = patternFile(20L * window).mappedWindows(small)
            .onEach { handedToBuffer += it }
            .bufferWindows(4)
            .take(2)
            .map { w -> w.use { w.offset() } }
            .toList()
        assertEquals(listOf(0L, 4096L), offsets)
        assertTrue(handedToBuffer.size > 2, "the buffer should have run ahead: ${handedToBuffer.size}")
        assertTrue(handedToBuffer.none { it.isOpen }, "still open: ${handedToBuffer.filter { it.isOpen }}")
    }

    @Test
    fun bufferWindowsOnAnotherDispatcherDeliversEveryByteAndClosesOnCancel() = runBlocking {
        val size = 30L * window + 7
        val file = patternFile(size)
        var next = 0L
        file.mappedWindows(small).bufferWindows(3, Dispatchers.IO).collect { w ->
            w.use {
                assertEquals(next, w.offset())
                assertArrayEquals(expected(w.offset(), w.length()), w.bytes())
                next = w.end()
            }
        }
        assertEquals(size, next)

        val result = withTimeoutOrNull(50) {
            file.mappedWindows(small).bufferWindows(3, Dispatchers.IO).collect { w -> w.use { delay(Long.MAX_VALUE) } }
        }
        assertNull(result)
    }

    @Test
    fun bufferWindowsDeliversBufferedWindowsBeforeTheUpstreamError() {
        val windows = ownedWindows(3)
        val offsets = mutableListOf<Long>()
        val e = assertThrows<IOException> {
            runBlocking {
                Flux.concat(Flux.fromIterable(windows), Flux.error(IOException("upstream failed"))).asWindowFlow()
                    .bufferWindows(8)
                    .collect { w -> w.use { offsets += w.offset() } }
            }
        }
        assertEquals("upstream failed", e.message)
        assertEquals(listOf(0L, 4096L, 8192L), offsets)
    }

    @Test
    fun bufferWindowsRejectsBadArguments() {
        val flow = patternFile(10).mappedWindows()
        assertThrows<IllegalArgumentException> { flow.bufferWindows(0) }
        assertThrows<IllegalArgumentException> { flow.bufferWindows(1, kotlinx.coroutines.Job()) }
    }

    // --- readWindows and useWindows -----------------------------------------------------------------------------

    @Test
    fun readWindowsSeesTheFileContentInOrder() = runBlocking {
        val file = patternFile(7L * window + 99)
        val chunks = file.readWindows(small) { it.bytes() }.toList()
        assertArrayEquals(Files.readAllBytes(file), chunks.fold(ByteArray(0)) { acc, b -> acc + b })
    }

    @Test
    fun readWindowsClosesEachWindowRightAfterTheBlock() = runBlocking {
        val file = patternFile(4L * window)
        val seen = mutableListOf<MappedWindow>()
        file.readWindows(small) { w -> seen += w; assertTrue(w.isOpen) }.collect { _ ->
            assertFalse(seen.last().isOpen, "closed before the result reaches the collector")
        }
        assertEquals(4, seen.size)
    }

    @Test
    fun readWindowsOverAnEmptyFileIsEmpty() = runBlocking {
        val file = patternFile(0, "empty.bin")
        var calls = 0
        assertEquals(emptyList<Int>(), file.readWindows { calls++ }.toList())
        file.useWindows { calls++ }
        assertEquals(0, calls)
    }

    @Test
    fun readWindowsOverARangeSeesOnlyTheRange() = runBlocking {
        val file = patternFile(4L * window)
        val bytes = file.readWindows(100, 5000, small) { it.bytes() }.toList().fold(ByteArray(0)) { acc, b -> acc + b }
        assertArrayEquals(expected(100, 5000), bytes)
    }

    @Test
    fun useWindowsClosesTheWindowWhenTheBlockThrows() {
        val file = patternFile(5L * window)
        val seen = mutableListOf<MappedWindow>()
        val e = assertThrows<IllegalArgumentException> {
            runBlocking {
                file.useWindows(small) { w ->
                    seen += w
                    require(seen.size < 2) { "block failed" }
                }
            }
        }
        assertEquals("block failed", e.message)
        assertEquals(2, seen.size)
        assertTrue(seen.none { it.isOpen })
    }

    @Test
    fun readWindowsClosesTheWindowWhenTheBlockIsCancelled() = runBlocking {
        val file = patternFile(5L * window)
        var held: MappedWindow? = null
        val result = withTimeoutOrNull(50) {
            file.readWindows(small) { w -> held = w; delay(Long.MAX_VALUE) }.collect()
        }
        assertNull(result)
        assertFalse(held!!.isOpen)
    }

    @Test
    fun readWindowsReportsATruncationThatHappensWhileTheBlockRuns() {
        val file = patternFile(3L * window)
        val results = mutableListOf<Int>()
        val e = assertThrows<FileTruncatedException> {
            runBlocking {
                file.readWindows(small) { w ->
                    if (w.offset() == window.toLong()) {
                        // Shrink the file under the window being read: its result must not be trusted.
                        FileChannel.open(file, StandardOpenOption.WRITE).use { it.truncate(window + 100L) }
                    }
                    w.length()
                }.collect { results += it }
            }
        }
        assertEquals(listOf(window), results, "only the intact first window's result is delivered")
        assertEquals(window.toLong(), e.offset())
        assertEquals(window + 100L, e.observedSize())
    }

    @Test
    fun aMemoryFaultInTheBlockBecomesAnIOExceptionNamingTheFileAndRange() {
        // The InternalError the JVM raises for SIGBUS, simulated: a real one needs a forked JVM (see the Java tests).
        val file = patternFile(2L * window)
        val e = assertThrows<IOException> {
            runBlocking { file.readWindows(small) { throw InternalError("simulated fault") }.collect() }
        }
        assertFalse(e is FileTruncatedException, "the file is intact, so this is not a truncation: $e")
        assertTrue(e.message!!.contains("$file at [0, 4096)"), e.message)
        assertTrue(e.cause is InternalError)
    }

    @Test
    fun aMemoryFaultOnATruncatedFileBecomesFileTruncatedException() {
        val file = patternFile(2L * window)
        val e = assertThrows<FileTruncatedException> {
            runBlocking {
                file.useWindows(small) {
                    FileChannel.open(file, StandardOpenOption.WRITE).use { it.truncate(10) }
                    throw InternalError("simulated fault")
                }
            }
        }
        assertEquals(10L, e.observedSize())
        assertTrue(e.cause is InternalError)
    }
}
