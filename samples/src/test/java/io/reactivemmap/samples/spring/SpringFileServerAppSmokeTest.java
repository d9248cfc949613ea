package io.reactivemmap.samples.spring;

import io.reactivemmap.MappingStats;
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
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (MappingStats.snapshot().liveWindows() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, MappingStats.snapshot().liveWindows(), "windows still mapped after the downloads: " + MappingStats.snapshot());
    }
}
