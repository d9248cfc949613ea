package io.reactivemmap.samples.kotlin

import io.reactivemmap.MappingStats
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.extension.AfterEachCallback
import org.junit.jupiter.api.extension.BeforeEachCallback
import org.junit.jupiter.api.extension.ExtensionContext
import java.nio.file.Files
import java.nio.file.Path

/**
 * Fails a test that leaves a window mapped: the samples' copy of the core's `NoLeakedWindows`. After each test the
 * process-wide live-window and mapped-byte gauges must be back to zero (waiting up to 5 s for releases that run on
 * background threads or Netty event loops), and /proc/self/maps must show no mapping of a file in a JUnit temp folder.
 */
class NoLeakedWindows : BeforeEachCallback, AfterEachCallback {
    override fun beforeEach(context: ExtensionContext) {
        val s = MappingStats.snapshot()
        assertEquals(0L, s.liveWindows) { "windows leaked by an earlier test are still mapped: $s" }
    }

    override fun afterEach(context: ExtensionContext) {
        assertNothingMapped()
    }

    companion object {
        private const val GRACE_NANOS = 5_000_000_000L

        fun assertNothingMapped() {
            val deadline = System.nanoTime() + GRACE_NANOS
            var s = MappingStats.snapshot()
            while ((s.liveWindows != 0L || s.mappedBytes != 0L) && System.nanoTime() < deadline) {
                Thread.sleep(5)
                s = MappingStats.snapshot()
            }
            assertEquals(0L, s.liveWindows) { "live windows after the test: $s" }
            assertEquals(0L, s.mappedBytes) { "mapped bytes after the test: $s" }
            val maps = Path.of("/proc/self/maps")
            if (Files.isReadable(maps)) {
                val ours = Files.readAllLines(maps).filter { "/junit" in it }
                if (ours.isNotEmpty()) fail<Unit>("/proc/self/maps still maps test files:\n" + ours.joinToString("\n"))
            }
        }
    }
}

/** Files the tests generate: seeded pseudo-random bytes, so every window differs from its neighbours. */
object SampleFiles {
    fun random(dir: Path, name: String, size: Int, seed: Long = 42): Path {
        val bytes = ByteArray(size).also { java.util.Random(seed).nextBytes(it) }
        return Files.write(dir.resolve(name), bytes)
    }
}

/** Runs [run] with captured output; returns the exit status, standard output lines and standard error text. */
data class RunResult(val status: Int, val out: List<String>, val err: String) {
    /** The `key=value` pairs of the first output line that starts with [prefix] followed by a space. */
    fun line(prefix: String): Map<String, String> {
        val line = out.firstOrNull { it.startsWith("$prefix ") } ?: fail("no '$prefix' line in output: $out (stderr: $err)")
        return fields(line)
    }

    fun lines(prefix: String): List<Map<String, String>> = out.filter { it.startsWith("$prefix ") }.map(::fields)

    private fun fields(line: String): Map<String, String> =
        line.split(' ').drop(1).associate { it.substringBefore('=') to it.substringAfter('=') }

    companion object {
        fun of(vararg args: String): RunResult {
            val out = java.io.ByteArrayOutputStream()
            val err = java.io.ByteArrayOutputStream()
            val status = java.io.PrintStream(out, true, Charsets.UTF_8).use { o ->
                java.io.PrintStream(err, true, Charsets.UTF_8).use { e -> run(arrayOf(*args), o, e) }
            }
            return RunResult(status, out.toString(Charsets.UTF_8).lines().filter { it.isNotBlank() }, err.toString(Charsets.UTF_8))
        }
    }
}
