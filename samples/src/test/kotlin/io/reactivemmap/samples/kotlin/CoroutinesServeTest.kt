package io.reactivemmap.samples.kotlin

import io.reactivemmap.MapOptions
import io.reactivemmap.MappingStats
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.extension.ExtendWith
import org.junit.jupiter.api.io.TempDir
import reactor.netty.DisposableServer
import java.net.InetSocketAddress
import java.net.Socket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration

@ExtendWith(NoLeakedWindows::class)
class CoroutinesServeTest {
    @TempDir
    lateinit var dir: Path

    private val window = 256 * 1024
    private val maxLive = 2 * window
    private val size = 3 * (1 shl 20) + 17
    private lateinit var bytes: ByteArray
    private lateinit var server: DisposableServer
    private val client: HttpClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build()

    @BeforeEach
    fun start() {
        val file = SampleFiles.random(dir, "data.bin", size)
        bytes = Files.readAllBytes(file)
        server = startFileServer(dir, port = 0, options = MapOptions.defaults().withWindowSize(window.toLong())
            .withMaxLiveBytes(maxLive.toLong()))
    }

    @AfterEach
    fun stop() {
        server.disposeNow(Duration.ofSeconds(5))
    }

    private fun get(path: String, vararg headers: String, method: String = "GET"): HttpResponse<ByteArray> {
        val request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:${server.port()}$path"))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
        if (headers.isNotEmpty()) request.headers(*headers)
        return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray())
    }

    @Test
    fun aGetServesTheWholeFileByteForByte() {
        val response = get("/data.bin")
        assertEquals(200, response.statusCode())
        assertEquals(size.toString(), response.headers().firstValue("content-length").orElse(null))
        assertEquals("bytes", response.headers().firstValue("accept-ranges").orElse(null))
        assertArrayEquals(bytes, response.body())
    }

    @Test
    fun aRangeThatCrossesWindowsIsServedAs206WithItsBytesOnly() {
        val first = window - 100
        val last = 2 * window + 99
        val response = get("/data.bin", "Range", "bytes=$first-$last")
        assertEquals(206, response.statusCode())
        assertEquals("bytes $first-$last/$size", response.headers().firstValue("content-range").orElse(null))
        assertArrayEquals(bytes.copyOfRange(first, last + 1), response.body())
    }

    @Test
    fun aSuffixRangeServesTheLastBytes() {
        val response = get("/data.bin", "Range", "bytes=-10")
        assertEquals(206, response.statusCode())
        assertArrayEquals(bytes.copyOfRange(size - 10, size), response.body())
    }

    @Test
    fun aRangePastTheEndIs416NamingTheSize() {
        val response = get("/data.bin", "Range", "bytes=$size-")
        assertEquals(416, response.statusCode())
        assertEquals("bytes */$size", response.headers().firstValue("content-range").orElse(null))
    }

    @Test
    fun severalRangesGetTheWholeFile() {
        val response = get("/data.bin", "Range", "bytes=0-9,1000-1009")
        assertEquals(200, response.statusCode())
        assertArrayEquals(bytes, response.body())
    }

    @Test
    fun headAnswersTheLengthWithoutABodyOrAMapping() {
        val before = MappingStats.snapshot().windowsMapped
        val response = get("/data.bin", method = "HEAD")
        assertEquals(200, response.statusCode())
        assertEquals(size.toString(), response.headers().firstValue("content-length").orElse(null))
        assertEquals(0, response.body().size)
        assertEquals(before, MappingStats.snapshot().windowsMapped)
    }

    @Test
    fun missingFilesTraversalAndOtherMethodsAreRefused() {
        assertEquals(404, get("/nope.bin").statusCode())
        assertEquals(400, get("/%2e%2e/data.bin").statusCode())
        assertEquals(400, get("/a%2fdata.bin").statusCode())
        Files.writeString(dir.resolve(".hidden"), "secret")
        assertEquals(404, get("/.hidden").statusCode())
        assertEquals(405, get("/data.bin", method = "POST").statusCode())
    }

    @Test
    fun aStalledClientHoldsAtMostMaxLiveBytesMappedAndItsDisconnectLeavesNothingMapped() {
        // Larger than what the kernel's socket buffers absorb on loopback (a few MiB), so the server must stall.
        SampleFiles.random(dir, "big.bin", 24 shl 20, seed = 9)
        MappingStats.resetPeak()
        Socket().use { socket ->
            socket.receiveBufferSize = 64 * 1024 // before connect, so the TCP window stays small
            socket.connect(InetSocketAddress("127.0.0.1", server.port()))
            socket.getOutputStream().write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".toByteArray())
            val input = socket.getInputStream()
            val buffer = ByteArray(16 * 1024)
            var read = 0
            while (read < 100 * 1024) {
                val n = input.read(buffer)
                assertTrue(n > 0) { "connection closed after $read bytes" }
                read += n
            }
            // The client stops reading. Reactor Netty asks for 128 buffers up front, but the source stops at
            // maxLiveBytes: give the server time to push all it can, then look at what is mapped.
            Thread.sleep(300)
            val stalled = MappingStats.snapshot()
            assertTrue(stalled.liveWindows in 1..2) { "windows mapped for a stalled client: $stalled" }
            assertTrue(stalled.peakMappedBytes <= maxLive + 8192) { "peak mapped for one response: $stalled" }
        }
        NoLeakedWindows.assertNothingMapped()
        // And the server still serves.
        assertArrayEquals(bytes, get("/data.bin").body())
    }
}
