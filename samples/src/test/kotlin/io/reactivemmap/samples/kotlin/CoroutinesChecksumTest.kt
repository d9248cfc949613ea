package io.reactivemmap.samples.kotlin

import io.reactivemmap.MapOptions
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.zip.CRC32C

@ExtendWith(NoLeakedWindows::class)
class CoroutinesChecksumTest {
    @TempDir
    lateinit var dir: Path

    private val window = 64 * 1024
    private val options = MapOptions.defaults().withWindowSize(window.toLong())

    private fun reference(file: Path): Long = CRC32C().apply { update(Files.readAllBytes(file)) }.value

    @Test
    fun checksumOfTheWindowsEqualsCrc32cOfTheWholeFile() = runBlocking {
        val size = (1 shl 20) + 123
        val file = SampleFiles.random(dir, "f.bin", size)
        val result = checksum(file, options)
        assertEquals(reference(file), result.crc32c)
        assertEquals(size.toLong(), result.bytes)
        assertEquals((size + window - 1) / window, result.windows)
    }

    @Test
    fun scopedChecksumEqualsCrc32cOfTheWholeFile() = runBlocking {
        val size = (1 shl 20) + 5
        val file = SampleFiles.random(dir, "f.bin", size, seed = 7)
        val result = checksumScoped(file, options)
        assertEquals(reference(file), result.crc32c)
        assertEquals(size.toLong(), result.bytes)
        assertEquals((size + window - 1) / window, result.windows)
    }

    @Test
    fun aSlowSuspendingConsumerHoldsOnlyTheWindowInHandAndTheOneReadAhead() = runBlocking {
        val file = SampleFiles.random(dir, "f.bin", 16 * window)
        var seen = 0L
        val result = checksum(file, options) { bytes ->
            seen += bytes.remaining()
            delay(5) // while this suspends, the source must not map more than readAhead (1) windows ahead
        }
        assertEquals(reference(file), result.crc32c)
        assertEquals(16L * window, seen)
        assertTrue(result.maxLiveWindows in 1..2) { "live windows while consuming: ${result.maxLiveWindows}" }
    }

    @Test
    fun anEmptyFileHasTheEmptyChecksumAndNoWindows() = runBlocking {
        val file = Files.createFile(dir.resolve("empty"))
        val result = checksum(file, options)
        assertEquals(0L, result.crc32c)
        assertEquals(0, result.windows)
    }

    @Test
    fun checksumModePrintsTheReferenceCrcAndZeroLiveWindows() {
        val file = SampleFiles.random(dir, "f.bin", 300_000, seed = 3)
        for (scoped in listOf(emptyList(), listOf("--scoped"))) {
            val run = RunResult.of("checksum", file.toString(), "--window-size", "64k", "--delay-ms", "1", *scoped.toTypedArray())
            assertEquals(0, run.status, run.err)
            val line = run.line("checksum")
            assertEquals(String.format("%08x", reference(file)), line["crc32c"])
            assertEquals("300000", line["bytes"])
            assertEquals("5", line["windows"])
            assertEquals("0", run.line("stats")["liveWindows"])
            assertEquals("0", run.line("stats")["mappedBytes"])
        }
    }

    @Test
    fun aMissingFileExitsWithOneAndNamesTheFile() {
        val missing = dir.resolve("no-such-file")
        val run = RunResult.of("checksum", missing.toString())
        assertEquals(1, run.status)
        assertTrue("NoSuchFileException" in run.err && missing.toString() in run.err) { run.err }
    }

    @Test
    fun badArgumentsExitWithTwoAndSayWhatIsWrong() {
        val zeroWindow = RunResult.of("checksum", "x", "--window-size", "0")
        assertEquals(2, zeroWindow.status)
        assertTrue("windowSize" in zeroWindow.err) { zeroWindow.err }
        val noFile = RunResult.of("checksum")
        assertEquals(2, noFile.status)
        assertTrue("FILE" in noFile.err) { noFile.err }
        assertEquals(2, RunResult.of("frobnicate").status)
        assertEquals(2, RunResult.of("checksum", "x", "--bogus").status)
    }
}
