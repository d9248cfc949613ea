package io.reactivemmap.samples;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The properties-only Boot sample as Boot's executable jar ({@code target/samples-*-boot.jar}), started as an
 * operator would ({@code java -jar app.jar --reactive-mmap.static.root=DIR}, no flag): the manifest's
 * {@code Enable-Native-Access} reaches Boot's launcher, so advice is on and the JDK prints no native-access warning.
 * The control: the same jar through its launcher class on the class path (no {@code -jar}, so no manifest attribute)
 * says advice is off and why.
 */
@Timeout(120)
class BootJarIT {
    @TempDir
    static Path dir;
    static byte[] bytes;
    static Path jar;

    @BeforeAll
    static void files() throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(Path.of("target"), "samples-*-boot.jar")) {
            List<Path> found = new ArrayList<>();
            jars.forEach(found::add);
            assertEquals(1, found.size(), "one Boot jar in target/ (the package phase builds it): " + found);
            jar = found.getFirst();
        }
        bytes = new byte[3 * (1 << 20) + 11];
        new Random(5).nextBytes(bytes);
        Files.write(dir.resolve("data.bin"), bytes);
    }

    private static Process start(List<String> launch) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-Xmx256m"));
        cmd.addAll(launch);
        cmd.addAll(List.of("--reactive-mmap.static.root=" + dir, "--server.port=0"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Reads output until Boot's "Netty started on port N"; returns every line read and the port. */
    private static int awaitPort(Process p, BlockingQueue<String> lines, List<String> seen) throws InterruptedException {
        Pattern started = Pattern.compile("Netty started on port (\\d+)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String l = lines.poll(500, TimeUnit.MILLISECONDS);
            if (l != null) {
                seen.add(l);
                Matcher m = started.matcher(l);
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            } else if (!p.isAlive()) {
                fail("the application exited with " + p.exitValue() + ":\n" + String.join("\n", seen));
            }
        }
        return fail("no start-up line within 60 s:\n" + String.join("\n", seen));
    }

    private static String run(List<String> launch) throws Exception {
        Process p = start(launch);
        try {
            BlockingQueue<String> lines = SamplesPackagedIT.lines(p);
            List<String> seen = new ArrayList<>();
            int port = awaitPort(p, lines, seen);
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/files/data.bin")).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode());
                assertArrayEquals(bytes, r.body());
            }
            String l;
            while ((l = lines.poll(300, TimeUnit.MILLISECONDS)) != null) {
                seen.add(l);
            }
            return String.join("\n", seen);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the application did not stop on SIGTERM");
        }
    }

    @Test
    void javaDashJarAppliesAdviceWithoutAWarning() throws Exception {
        try (JarFile j = new JarFile(jar.toFile())) {
            assertEquals("ALL-UNNAMED", j.getManifest().getMainAttributes().getValue("Enable-Native-Access"));
            assertEquals("io.reactivemmap.samples.boot.SpringStaticFilesApp",
                    j.getManifest().getMainAttributes().getValue("Start-Class"));
        }
        String out = run(List.of("-jar", jar.toString()));
        assertTrue(out.contains("page-cache advice on"), out);
        assertFalse(out.contains("WARNING: A restricted method"), out);
        assertFalse(out.contains("Exception"), out);
    }

    @Test
    void withoutTheManifestAttributeAdviceIsOffAndTheReasonSaysWhatToAdd() throws Exception {
        String out = run(List.of("-cp", jar.toString(), "org.springframework.boot.loader.launch.JarLauncher"));
        assertTrue(out.contains("page-cache advice off: native access is not enabled"), out);
        assertTrue(out.contains("--enable-native-access=ALL-UNNAMED"), out);
    }
}
