package io.reactivemmap.samples.spring;

import io.reactivemmap.MappingStats;
import io.reactivemmap.netty.spring.boot.MappedStaticFiles;
import io.reactivemmap.samples.boot.SpringStaticFilesApp;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starts the Spring Boot sample on a free port and downloads a generated file whole and by range. */
class SpringFileServerAppSmokeTest {
    @Test
    void servesAGeneratedFileWholeAndByRange(@TempDir Path dir) throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(content);
        Files.write(dir.resolve("data.bin"), content);

        try (ConfigurableApplicationContext app = SpringApplication.run(SpringFileServerApp.class,
                "--server.port=0", "--server.address=127.0.0.1", "--files.root=" + dir, "--files.window-size=1MB",
                "--spring.main.banner-mode=off")) {
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

            HttpResponse<byte[]> whole = client.send(HttpRequest.newBuilder(URI.create(base + "/files/data.bin"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertEquals(String.valueOf(content.length), whole.headers().firstValue("content-length").orElseThrow());
            assertArrayEquals(content, whole.body());

            HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(URI.create(base + "/download/data.bin"))
                    .header("Range", "bytes=1048570-1048599").timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, range.statusCode());
            assertEquals("bytes 1048570-1048599/" + content.length, range.headers().firstValue("content-range").orElseThrow());
            assertArrayEquals(Arrays.copyOfRange(content, 1048570, 1048600), range.body());

            HttpResponse<byte[]> outside = client.send(HttpRequest.newBuilder(URI.create(base + "/files/..%2f..%2fetc%2fpasswd"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(400, outside.statusCode());
            assertEquals(0, app.getBeansOfType(MappedStaticFiles.class).size(),
                    "the auto-configuration must back off: the application has its own MappedFileHandler");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (MappingStats.snapshot().liveWindows() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, MappingStats.snapshot().liveWindows(), "windows still mapped after the downloads: " + MappingStats.snapshot());
    }

    @Test
    void theStaticFilesAppServesTheRootPropertyWithNoCode(@TempDir Path dir) throws Exception {
        byte[] content = new byte[2 * 1024 * 1024 + 5];
        new Random(7).nextBytes(content);
        Files.write(dir.resolve("data.bin"), content);
        Files.writeString(dir.resolve(".hidden"), "no");
        try (ConfigurableApplicationContext app = SpringStaticFilesApp.application().run(
                "--server.port=0", "--reactive-mmap.static.root=" + dir)) {
            // static-files.properties: /files/**, 16MB windows, Cache-Control public, max-age=3600
            String base = "http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port");
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            HttpResponse<byte[]> whole = client.send(HttpRequest.newBuilder(URI.create(base + "/files/data.bin"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, whole.statusCode());
            assertArrayEquals(content, whole.body());
            assertEquals("public, max-age=3600", whole.headers().firstValue("cache-control").orElseThrow());
            HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(URI.create(base + "/files/data.bin"))
                    .header("Range", "bytes=5-9,100-104").timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(206, range.statusCode());
            assertTrue(range.headers().firstValue("content-type").orElseThrow().startsWith("multipart/byteranges"));
            HttpResponse<byte[]> hidden = client.send(HttpRequest.newBuilder(URI.create(base + "/files/.hidden"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(404, hidden.statusCode());
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (MappingStats.snapshot().liveWindows() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, MappingStats.snapshot().liveWindows(), "windows still mapped: " + MappingStats.snapshot());
    }
}
