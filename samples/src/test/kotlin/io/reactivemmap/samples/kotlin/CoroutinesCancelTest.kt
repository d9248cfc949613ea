package io.reactivemmap.samples.kotlin

import io.reactivemmap.MapOptions
import io.reactivemmap.MappingStats
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import kotlin.time.Duration.Companion.milliseconds

@ExtendWith(NoLeakedWindows::class)
class CoroutinesCancelTest {
    @TempDir
    lateinit var dir: Path

    private val window = 64 * 1024
    private val windows = 32
    private val options = MapOptions.defaults().withWindowSize(window.toLong())

    @Test
    fun jobCancelMidStreamClosesTheWindowInHandAndEveryBufferedWindow() = runBlocking {
        val file = SampleFiles.random(dir, "f.bin", windows * window)
        val before = MappingStats.snapshot().windowsMapped
        val result = cancelWithJob(file, options, afterWindows = 3)
        val mapped = MappingStats.snapshot().windowsMapped - before
        assertEquals(CancelResult("job", 3), result)
        // More mapped than read: bufferWindows held windows when the job was cancelled, and they must be closed too.
        assertTrue(mapped in 4 until windows) { "windows mapped: $mapped (expected some buffered, not the whole file)" }
        assertEquals(0L, awaitNothingMapped().liveWindows)
    }

    @Test
    fun withTimeoutOrNullMidStreamLeavesNothingMapped() = runBlocking {
        val file = SampleFiles.random(dir, "f.bin", windows * window)
        // Warm up the pipeline first: in a cold JVM the first window can take longer than the timeout to arrive.
        checksum(file, options)
        val result = cancelWithTimeout(file, options, timeout = 300.milliseconds, delayPerWindow = 30.milliseconds)
        assertEquals("timeout", result.how)
        assertTrue(result.windowsRead in 1 until windows) { "windows read before the timeout: ${result.windowsRead}" }
        assertEquals(0L, awaitNothingMapped().liveWindows)
    }

    @Test
    fun aStreamThatFinishesBeforeTheTimeoutIsNotCancelled() = runBlocking {
        val file = SampleFiles.random(dir, "f.bin", 3 * window)
        val result = cancelWithTimeout(file, options, timeout = 10_000.milliseconds, delayPerWindow = 1.milliseconds)
        assertEquals(CancelResult("none", 3), result)
    }

    @Test
    fun cancelModePrintsBothCancellationsAndZeroLiveWindows() {
        val file = SampleFiles.random(dir, "f.bin", windows * window)
        val run = RunResult.of("cancel", file.toString(), "--window-size", "64k", "--after-windows", "2", "--timeout-ms", "60")
        assertEquals(0, run.status, run.err)
        val cancelled = run.lines("cancelled")
        assertEquals(listOf("job", "timeout"), cancelled.map { it["how"] })
        assertEquals("2", cancelled[0]["windowsRead"])
        assertTrue(cancelled[1].getValue("windowsRead").toInt() in 1 until windows) { run.out.toString() }
        assertEquals("0", run.line("stats")["liveWindows"])
        assertEquals("0", run.line("stats")["mappedBytes"])
    }
}
