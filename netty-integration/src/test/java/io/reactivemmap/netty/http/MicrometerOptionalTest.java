package io.reactivemmap.netty.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Micrometer is an optional dependency: a {@link FileServer} without an admin port must run on a class path without
 * it, and one with an admin port must fail to start with a message that names what to add. Run in a class loader of
 * this test's class path less every Micrometer and Prometheus jar (NIO: Netty's epoll library cannot be loaded twice).
 */
@Timeout(60)
class MicrometerOptionalTest {
    @TempDir
    Path root;

    @Test
    void aServerWithoutTheAdminPortRunsWithoutMicrometerAndOneWithItSaysWhatIsMissing() throws Exception {
        Files.writeString(root.resolve("a.txt"), "a");
        List<URL> urls = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.contains("micrometer") && !entry.contains("prometheus")) {
                urls.add(Path.of(entry).toUri().toURL());
            }
        }
        try (URLClassLoader loader = new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            assertThrows(ClassNotFoundException.class, () -> loader.loadClass(MicrometerServerMetrics.REQUIRED_CLASS));
            Class<?> optionsClass = loader.loadClass(FileServerOptions.class.getName());
            Class<?> serverClass = loader.loadClass(FileServer.class.getName());
            Object options = optionsClass.getMethod("defaults", Path.class).invoke(null, root);
            options = optionsClass.getMethod("withPort", int.class).invoke(options, 0);
            options = optionsClass.getMethod("withIoThreads", int.class).invoke(options, 1);
            options = optionsClass.getMethod("withPreferNativeTransport", boolean.class).invoke(options, false);
            try (AutoCloseable server = (AutoCloseable) serverClass.getMethod("start", optionsClass).invoke(null, options);
                 HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                int port = (int) serverClass.getMethod("port").invoke(server);
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/a.txt"))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode());
                assertEquals("a", r.body());
            }
            Object withAdmin = optionsClass.getMethod("withAdminPort", int.class).invoke(options, 0);
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> serverClass.getMethod("start", optionsClass).invoke(null, withAdmin));
            IOException cause = assertInstanceOf(IOException.class, e.getCause());
            assertTrue(cause.getMessage().contains("add io.micrometer:micrometer-registry-prometheus to the class path"),
                    cause.getMessage());
        }
    }
}
