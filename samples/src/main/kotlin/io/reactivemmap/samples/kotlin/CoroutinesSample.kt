/*
 * reactive-mmap from Kotlin coroutines: stream a file into a suspending consumer, serve files over HTTP from a
 * suspend handler on Reactor Netty, and cancel mid-stream from a coroutine scope with nothing left mapped.
 */
@file:JvmName("CoroutinesSample")

package io.reactivemmap.samples.kotlin

import io.reactivemmap.MapOptions
import io.reactivemmap.MappedWindow
import io.reactivemmap.MappingStats
import io.reactivemmap.bufferWindows
import io.reactivemmap.mappedWindows
import io.reactivemmap.readWindows
import io.reactivemmap.useWindows
import io.reactivemmap.netty.ReactorNettyWindows
import io.reactivemmap.netty.http.ByteRanges
import io.reactivemmap.netty.http.RangeLimits
import io.reactivemmap.netty.http.RequestPath
import io.reactivemmap.netty.http.RootDirectory
import io.netty.handler.codec.http.HttpHeaderNames
import io.netty.handler.codec.http.HttpMethod
import io.netty.handler.codec.http.HttpResponseStatus
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.fold
import kotlinx.coroutines.launch
import kotlinx.coroutines.reactor.awaitSingleOrNull
import kotlinx.coroutines.reactor.mono
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import kotlinx.coroutines.yield
import org.reactivestreams.Publisher
import reactor.netty.DisposableServer
import reactor.netty.http.server.HttpServer
import reactor.netty.http.server.HttpServerRequest
import reactor.netty.http.server.HttpServerResponse
import java.io.IOException
import java.io.PrintStream
import java.nio.ByteBuffer
import java.nio.file.Path
import java.util.Locale
import java.util.concurrent.CountDownLatch
import java.util.function.BiFunction
import java.util.zip.CRC32C
import kotlin.system.exitProcess
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

private const val USAGE = """usage: CoroutinesSample MODE ...
  checksum FILE [--window-size BYTES[k|m]] [--delay-ms MS] [--scoped]
      CRC32C of FILE, each window fed to a suspending consumer (with MS of delay per window)
  serve [--root DIR] [--host ADDR] [--port N] [--window-size BYTES[k|m]] [--max-live-bytes BYTES[k|m]]
      serve the files under DIR over HTTP (GET/HEAD, single byte ranges) until Ctrl-C; each response holds
      at most --max-live-bytes mapped (default 64m), however slowly its client reads
  cancel FILE [--window-size BYTES[k|m]] [--after-windows N] [--timeout-ms MS]
      cancel a stream with job.cancel() after N windows, and another with withTimeoutOrNull(MS)"""

/**
 * Runs one mode (`checksum`, `serve` or `cancel`) and exits with its status: 0 done, 1 failed (a file error, or
 * windows still mapped afterwards), 2 bad arguments.
 *
 * Every mode prints `key=value` lines to standard output, meant to be parsed by scripts and tests:
 * ```
 * checksum crc32c=1d2c3b4a bytes=1048576 windows=16 maxLiveWindows=2
 * cancelled how=job windowsRead=3
 * cancelled how=timeout windowsRead=5
 * serving url=http://127.0.0.1:8080/ root=/srv/files
 * stats liveWindows=0 mappedBytes=0 windowsMapped=16 windowsUnmapped=16
 * ```
 * Run it from the repository root with
 * `mvn -B -q -pl samples -am process-classes -Psample -Dsample=kotlin.CoroutinesSample -Dsample.args="checksum FILE"`.
 */
fun main(args: Array<String>) {
    exitProcess(run(args, System.out, System.err))
}

/** [main] without exiting the JVM, for tests; see [main] for the modes and the output. */
fun run(args: Array<String>, out: PrintStream, err: PrintStream): Int {
    val parsed = try {
        Arguments.parse(args)
    } catch (e: IllegalArgumentException) {
        err.println("error ${e.message}")
        err.println(USAGE)
        return 2
    }
    return try {
        when (parsed.mode) {
            "checksum" -> runBlocking { checksumMode(parsed, out) }
            "cancel" -> runBlocking { cancelMode(parsed, out) }
            "serve" -> serveMode(parsed, out)
            else -> {
                err.println(USAGE)
                if (parsed.mode == "help") 0 else 2
            }
        }
    } catch (e: IllegalArgumentException) {
        // Bad option values: MapOptions and the parsing below name the value and the allowed range.
        err.println("error ${e.message}")
        2
    } catch (e: IOException) {
        // NoSuchFileException, AccessDeniedException, FileTruncatedException...: they name the file.
        err.println("error ${e.javaClass.simpleName}: ${e.message}")
        1
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 1. A file into a suspending consumer
// ---------------------------------------------------------------------------------------------------------------

/**
 * What [checksum] computed. [maxLiveWindows] is the highest process-wide count of mapped windows seen while a
 * window was in the consumer's hands (the window in hand plus those mapped ahead of it).
 */
data class ChecksumResult(val crc32c: Long, val bytes: Long, val windows: Int, val maxLiveWindows: Long)

/**
 * Streams [file] into a suspending consumer, [sink], window by window, and returns the file's CRC32C.
 *
 * The windows come from the core's [mappedWindows] flow. Each one is mapped only when the collector asks for the
 * next, so a slow (suspending) consumer holds the mapping back: with the default `readAhead` of 1, at most the
 * window in hand and one window ahead are mapped, whatever the file size.
 *
 * ```kotlin
 * file.mappedWindows(options).collect { window ->
 *     window.use {                        // the collector owns each window: close it, on every path
 *         sink(it.asByteBuffer())         // may suspend; the window stays mapped until use { } ends
 *     }
 * }
 * ```
 * `use { }` closes (unmaps) the window when the block returns, throws, or the coroutine is cancelled inside it.
 * The [ByteBuffer] handed to [sink] is a view: it must not be kept after [sink] returns.
 *
 * @param sink called once per window in the collecting coroutine; it borrows the bytes
 */
suspend fun checksum(
    file: Path,
    options: MapOptions = MapOptions.defaults(),
    sink: suspend (ByteBuffer) -> Unit = {},
): ChecksumResult {
    val crc = CRC32C()
    var bytes = 0L
    var windows = 0
    var maxLive = 0L
    file.mappedWindows(options).collect { window ->
        window.use {
            maxLive = maxOf(maxLive, MappingStats.snapshot().liveWindows)
            crc.update(it.asByteBuffer())
            sink(it.asByteBuffer())
            bytes += it.length()
            windows++
        }
    }
    return ChecksumResult(crc.value, bytes, windows, maxLive)
}

/**
 * The same checksum in the scoped form: [readWindows] lends each window to the block and closes it right after
 * the block returns (or throws, or is cancelled), so the block cannot leak one. Prefer this form whenever the window
 * does not need to outlive the block. Compute inside the block: the window and its views are closed once it returns,
 * so return plain values from it, never the window or a `ByteBuffer` view.
 *
 * ```kotlin
 * val crc = CRC32C()
 * val bytes = file.readWindows(options) { window ->
 *     crc.update(window.asByteBuffer())   // read while borrowed
 *     sink(window.asByteBuffer())         // may suspend
 *     window.length().toLong()            // a plain value leaves the block, not the window
 * }.fold(0L) { total, length -> total + length }
 * ```
 * The shortest form, when nothing is returned per window, is `file.useWindows(options) { window -> ... }`.
 */
suspend fun checksumScoped(
    file: Path,
    options: MapOptions = MapOptions.defaults(),
    sink: suspend (ByteBuffer) -> Unit = {},
): ChecksumResult {
    val crc = CRC32C()
    var maxLive = 0L
    val (bytes, windows) = file.readWindows(options) { window ->
        maxLive = maxOf(maxLive, MappingStats.snapshot().liveWindows)
        crc.update(window.asByteBuffer())
        sink(window.asByteBuffer())
        window.length().toLong()
    }.fold(0L to 0) { (bytes, windows), length -> (bytes + length) to (windows + 1) }
    return ChecksumResult(crc.value, bytes, windows, maxLive)
}

private suspend fun checksumMode(args: Arguments, out: PrintStream): Int {
    val file = args.file()
    val pause = args.long("--delay-ms", 0).milliseconds
    // A suspending consumer: a real one would write to a socket or a channel; this one just lets other coroutines
    // run (or waits), which is enough to show that the stream follows the consumer's pace.
    val sink: suspend (ByteBuffer) -> Unit = { if (pause > Duration.ZERO) delay(pause) else yield() }
    val result = if (args.flag("--scoped")) {
        checksumScoped(file, args.mapOptions(), sink)
    } else {
        checksum(file, args.mapOptions(), sink)
    }
    out.println(String.format(Locale.ROOT, "checksum crc32c=%08x bytes=%d windows=%d maxLiveWindows=%d",
        result.crc32c, result.bytes, result.windows, result.maxLiveWindows))
    return printStats(out)
}

// ---------------------------------------------------------------------------------------------------------------
// 2. An HTTP handler on Reactor Netty, written as a suspend function
// ---------------------------------------------------------------------------------------------------------------

/**
 * Adapts a suspend handler to Reactor Netty's `(request, response) -> Publisher<Void>`, through `mono { }` from
 * kotlinx-coroutines-reactor.
 *
 * The coroutine runs on [Dispatchers.IO] (the handler looks files up, which blocks); sending is handed to the
 * connection's event loop by Reactor Netty. When the client goes away, Reactor Netty cancels the subscription, which
 * cancels the coroutine, which cancels the send it awaits: the window source then closes what it read ahead and
 * Reactor Netty releases the buffers it holds, so nothing stays mapped.
 */
fun coroutineHandler(
    handler: suspend (HttpServerRequest, HttpServerResponse) -> Unit,
): BiFunction<HttpServerRequest, HttpServerResponse, Publisher<Void>> =
    BiFunction { request, response -> mono(Dispatchers.IO) { handler(request, response) }.then() }

/**
 * Serves the regular files under a root directory: `GET` and `HEAD`, a single byte range (`206`, `416`), with each
 * body sent as zero-copy mapped windows by [ReactorNettyWindows.send].
 *
 * ```kotlin
 * val server = HttpServer.create().host("127.0.0.1").port(8080)
 *     .handle(coroutineHandler(MappedFileHandler(root, options)::handle))
 *     .bindNow()
 * ```
 *
 * The request target is checked by the library's [RequestPath] (decoded once; `..`, encoded separators and control
 * characters refused) and resolved by [RootDirectory] (containment by real path; hidden files and symbolic links out
 * of the root not served). Several ranges, or an invalid `Range`, get the whole file with `200`, as RFC 9110
 * allows; the library's own FileServer also answers multiple ranges and conditional requests.
 *
 * Memory: [ReactorNettyWindows.send] bounds what one response holds mapped by [MapOptions.maxLiveBytes] (bytes, not
 * Reactor Netty's 128-item prefetch): a slow client never holds more, a fast one streams at the socket's pace.
 */
class MappedFileHandler(root: Path, private val options: MapOptions) {
    private val root: RootDirectory = RootDirectory.of(root, false, false)

    /** The real path of the served directory. */
    val rootPath: Path get() = root.path()

    /** Answers one request; suspends until the response is sent (or the client has gone). */
    suspend fun handle(request: HttpServerRequest, response: HttpServerResponse) {
        val method = request.method()
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            response.status(HttpResponseStatus.METHOD_NOT_ALLOWED).header(HttpHeaderNames.ALLOW, "GET, HEAD")
                .send().then().awaitSingleOrNull()
            return
        }
        val path = try {
            RequestPath.parse(request.uri())
        } catch (e: RequestPath.InvalidPathException) {
            response.status(HttpResponseStatus.BAD_REQUEST).send().then().awaitSingleOrNull()
            return
        }
        // Blocking file-system calls: already on Dispatchers.IO (see coroutineHandler), never on the event loop.
        val found = withContext(Dispatchers.IO) { root.find(path) }
        if (found == null || found.attributes.isDirectory) {
            response.sendNotFound().awaitSingleOrNull()
            return
        }
        val size = found.attributes.size()
        response.header(HttpHeaderNames.CONTENT_TYPE, "application/octet-stream")
            .header(HttpHeaderNames.ACCEPT_RANGES, "bytes")
        var offset = 0L
        var length = size
        when (val outcome = ByteRanges.evaluate(request.requestHeaders().get(HttpHeaderNames.RANGE), size, RangeLimits.DEFAULT)) {
            is ByteRanges.Outcome.Unsatisfiable -> {
                response.status(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    .header(HttpHeaderNames.CONTENT_RANGE, "bytes */$size")
                    .header(HttpHeaderNames.CONTENT_LENGTH, "0")
                    .send().then().awaitSingleOrNull()
                return
            }
            is ByteRanges.Outcome.Partial -> if (outcome.ranges.size == 1) {
                val range = outcome.ranges.single()
                response.status(HttpResponseStatus.PARTIAL_CONTENT)
                    .header(HttpHeaderNames.CONTENT_RANGE, range.contentRange(size))
                offset = range.first
                length = range.length()
            }
            is ByteRanges.Outcome.Whole -> Unit
        }
        response.header(HttpHeaderNames.CONTENT_LENGTH, length.toString())
        if (method == HttpMethod.HEAD) {
            response.send().then().awaitSingleOrNull()
            return
        }
        // Zero-copy: each window becomes a ByteBuf whose release (after Netty wrote it) unmaps the window. The file
        // is opened again here: if it changed size since find(), the source fails with EOFException or
        // FileTruncatedException and the connection is closed (the status line is already gone).
        ReactorNettyWindows.send(response, found.realPath, offset, length, options).then().awaitSingleOrNull()
    }
}

/**
 * Starts an HTTP server for the files under [root] on [host]:[port] (0 picks a free port); stop it with
 * [DisposableServer.disposeNow], which also closes open connections and so releases their windows.
 */
fun startFileServer(root: Path, host: String = "127.0.0.1", port: Int = 8080, options: MapOptions = MapOptions.defaults()): DisposableServer {
    val handler = MappedFileHandler(root, options)
    return HttpServer.create().host(host).port(port)
        .handle(coroutineHandler(handler::handle))
        .bindNow()
}

private fun serveMode(args: Arguments, out: PrintStream): Int {
    val root = Path.of(args.string("--root", ".")).toRealPath()
    val server = startFileServer(root, args.string("--host", "127.0.0.1"), args.long("--port", 8080).toInt(), args.mapOptions())
    val stopped = CountDownLatch(1)
    Runtime.getRuntime().addShutdownHook(Thread({
        server.disposeNow()
        printStats(out)
        stopped.countDown()
    }, "coroutines-sample-shutdown"))
    out.println("serving url=http://${args.string("--host", "127.0.0.1")}:${server.port()}/ root=$root")
    out.flush()
    stopped.await()
    return 0
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Cancelling from a coroutine scope
// ---------------------------------------------------------------------------------------------------------------

/** How a stream was cancelled and how many windows the collector had seen by then. */
data class CancelResult(val how: String, val windowsRead: Int)

/**
 * Cancels a stream from outside with `job.cancel()` once the collector has read [afterWindows] windows.
 *
 * Between the file and the collector sits [bufferWindows] (not `buffer`): it reads ahead on [Dispatchers.IO] and,
 * when the job is cancelled, closes the windows it still holds. kotlinx's own `buffer`, `flowOn` and `conflate`
 * would drop them unclosed, and dropped windows stay mapped: the garbage collector never unmaps them.
 *
 * ```kotlin
 * val job = scope.launch {
 *     file.mappedWindows(options).bufferWindows(4, Dispatchers.IO).collect { window -> window.use { consume(it) } }
 * }
 * ...
 * job.cancelAndJoin()   // after this, every window of this stream is closed
 * ```
 */
suspend fun cancelWithJob(file: Path, options: MapOptions, afterWindows: Int): CancelResult = coroutineScope {
    require(afterWindows >= 1) { "afterWindows must be at least 1 (got $afterWindows)" }
    val enough = CompletableDeferred<Unit>()
    var read = 0
    val job = launch {
        file.mappedWindows(options).bufferWindows(4, Dispatchers.IO).collect { window ->
            window.use {
                read++
                if (read == afterWindows) enough.complete(Unit)
                delay(10) // a slow consumer, so that the buffer fills up behind it
            }
        }
        enough.complete(Unit) // the file had fewer windows: nothing left to cancel
    }
    enough.await()
    job.cancelAndJoin()
    CancelResult("job", read)
}

/**
 * Gives a slow consumer [timeout] to read the file, then lets `withTimeoutOrNull` cancel it mid-stream. The window
 * in hand is closed by `use { }` as the cancellation leaves `delay`; the window read ahead by the source is closed
 * by the flow.
 *
 * ```kotlin
 * val finished = withTimeoutOrNull(2.seconds) {
 *     file.useWindows(options) { window -> upload(window.asByteBuffer()) }   // borrowed, closed after each call
 * }
 * if (finished == null) println("timed out; nothing is left mapped")
 * ```
 */
suspend fun cancelWithTimeout(file: Path, options: MapOptions, timeout: Duration, delayPerWindow: Duration): CancelResult {
    var read = 0
    val finished = withTimeoutOrNull(timeout) {
        file.useWindows(options) {
            read++
            delay(delayPerWindow)
        }
    }
    return CancelResult(if (finished == null) "timeout" else "none", read)
}

private suspend fun cancelMode(args: Arguments, out: PrintStream): Int {
    val file = args.file()
    val options = args.mapOptions()
    val byJob = cancelWithJob(file, options, args.long("--after-windows", 3).toInt())
    out.println("cancelled how=${byJob.how} windowsRead=${byJob.windowsRead}")
    val byTimeout = cancelWithTimeout(file, options, args.long("--timeout-ms", 200).milliseconds, 20.milliseconds)
    out.println("cancelled how=${byTimeout.how} windowsRead=${byTimeout.windowsRead}")
    return printStats(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------------------------

/**
 * Waits up to [grace] for the process to have no window mapped and returns the last snapshot. A window read ahead
 * on a background thread when its stream was cancelled is closed by that thread as it arrives, so the count may
 * reach zero a moment after the cancellation returns.
 */
suspend fun awaitNothingMapped(grace: Duration = 5.seconds): MappingStats {
    val deadline = System.nanoTime() + grace.inWholeNanoseconds
    var stats = MappingStats.snapshot()
    while ((stats.liveWindows != 0L || stats.mappedBytes != 0L) && System.nanoTime() < deadline) {
        delay(10)
        stats = MappingStats.snapshot()
    }
    return stats
}

/** Prints the `stats` line; 1 if windows are still mapped after a grace period, else 0. */
private fun printStats(out: PrintStream): Int {
    val stats = runBlocking { awaitNothingMapped() }
    out.println("stats liveWindows=${stats.liveWindows} mappedBytes=${stats.mappedBytes} " +
        "windowsMapped=${stats.windowsMapped} windowsUnmapped=${stats.windowsUnmapped}")
    out.flush()
    return if (stats.liveWindows == 0L && stats.mappedBytes == 0L) 0 else 1
}

/** The mode, its positional arguments and its `--options`. */
private class Arguments(val mode: String, private val positional: List<String>, private val options: Map<String, String?>) {
    fun file(): Path = Path.of(positional.singleOrNull() ?: throw IllegalArgumentException("$mode needs exactly one FILE (got $positional)"))

    fun string(name: String, default: String): String = options[name] ?: default

    fun long(name: String, default: Long): Long {
        val value = options[name] ?: return default
        return value.toLongOrNull() ?: throw IllegalArgumentException("$name must be a whole number (got '$value')")
    }

    fun flag(name: String): Boolean = options.containsKey(name)

    /** `--window-size` and `--max-live-bytes` applied to the defaults (16 MiB windows, 64 MiB live per stream). */
    fun mapOptions(): MapOptions {
        var result = MapOptions.defaults()
        options["--window-size"]?.let { result = result.withWindowSize(bytes(it)) }
        options["--max-live-bytes"]?.let { result = result.withMaxLiveBytes(bytes(it)) }
        return result
    }

    companion object {
        private val FLAGS = setOf("--scoped")
        private val VALUED = setOf("--window-size", "--max-live-bytes", "--delay-ms", "--root", "--host", "--port", "--after-windows", "--timeout-ms")

        fun parse(args: Array<String>): Arguments {
            val mode = args.firstOrNull() ?: "help"
            val positional = mutableListOf<String>()
            val options = mutableMapOf<String, String?>()
            var i = 1
            while (i < args.size) {
                val a = args[i]
                when {
                    a in FLAGS -> options[a] = null
                    a in VALUED -> {
                        require(i + 1 < args.size) { "$a needs a value" }
                        options[a] = args[++i]
                    }
                    a == "-h" || a == "--help" -> return Arguments("help", emptyList(), emptyMap())
                    a.startsWith("-") -> throw IllegalArgumentException("unknown option $a")
                    else -> positional += a
                }
                i++
            }
            return Arguments(mode, positional, options)
        }

        /** `4096`, `512k`, `16m`. */
        fun bytes(s: String): Long {
            val v = s.trim().lowercase(Locale.ROOT)
            val unit = when {
                v.endsWith("m") -> 1L shl 20
                v.endsWith("k") -> 1L shl 10
                else -> 1L
            }
            val digits = if (unit == 1L) v else v.dropLast(1)
            val n = digits.toLongOrNull() ?: throw IllegalArgumentException("not a size: '$s' (expected e.g. 4096, 512k, 16m)")
            return n * unit
        }
    }
}
