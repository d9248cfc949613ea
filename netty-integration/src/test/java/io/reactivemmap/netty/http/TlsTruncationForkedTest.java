package io.reactivemmap.netty.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A file truncated while it is sent over TLS, in a forked JVM ({@link TlsTruncationCanary}): a truncated mapping read
 * by the JDK TLS engine raises a late {@link InternalError}, and anything that reads it natively kills the JVM, so
 * this must never run in the test JVM itself.
 */
@Timeout(120)
class TlsTruncationForkedTest {
    @ParameterizedTest(name = "{1}: truncated to {0} bytes")
    // far below what is already mapped, and just past what the client has read, mid-page (the page's tail reads as
    // zeros); through the FileServer, the Reactor Netty FileRoute and WebFlux's MappedFileHandler
    @CsvSource({"1048576,server", "3146962,server", "1048576,route", "3146962,route", "1048576,webflux", "3146962,webflux"})
    void aFileTruncatedDuringATlsDownloadEndsTheConnectionShortAndTheJvmSurvives(long truncateTo, String frontEnd,
                                                                               @TempDir Path dir) throws Exception {
        assertTheCanarySurvives(TlsTruncationCanary.class, List.of(), truncateTo, frontEnd, dir);
    }

    /** {@link #assertTheCanarySurvives(Class, List, long, String, Path)} for a canary that takes no front end. */
    static void assertTheCanarySurvives(Class<?> canary, List<String> jvmOptions, long truncateTo, Path dir) throws Exception {
        assertTheCanarySurvives(canary, jvmOptions, truncateTo, "", dir);
    }

    /**
     * Runs {@code canary} (a main class printing {@link TlsTruncationCanary}'s RESULT line and marker) in a child JVM
     * with {@code jvmOptions}, and checks that it neither crashed nor logged an error, that the client's download ended
     * short and that every byte it got was the file's.
     *
     * @param frontEnd the canary's third argument ("" for none)
     */
    static void assertTheCanarySurvives(Class<?> canary, List<String> jvmOptions, long truncateTo, String frontEnd, Path dir)
            throws Exception {
        Path served = Files.createDirectory(dir.resolve("served"));
        String java = ProcessHandle.current().info().command().orElseThrow(() -> new IllegalStateException("no java command"));
        List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m",
                "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"), "-cp", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.addAll(List.of(canary.getName(), served.toString(), Long.toString(truncateTo)));
        if (!frontEnd.isEmpty()) {
            command.add(frontEnd);
        }
        Process child = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = child.getInputStream().readAllBytes();
        if (!child.waitFor(90, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail("the child JVM did not finish:\n" + new String(out, StandardCharsets.UTF_8));
        }
        String output = new String(out, StandardCharsets.UTF_8);
        System.out.println(output); // kept in the surefire report
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> crashes = files.filter(p -> p.getFileName().toString().startsWith("hs_err")).toList();
            assertTrue(crashes.isEmpty(), "the child JVM crashed: " + crashes + "\n" + output);
        }
        assertEquals(0, child.exitValue(), output);
        assertTrue(output.contains(TlsTruncationCanary.MARKER), output);
        // A fault may reach TlsWindowGuard (a truncation between its check and the encryption), which closes the
        // connection; it must not travel further: to the request handler's exceptionCaught ("after an error"), to
        // Netty's event loop or listeners (WARNING), nor leave Netty's state inconsistent (SEVERE).
        // One exception: when the fault hits inside the engine's wrap (the race the guard narrows but cannot close),
        // SslHandler's queue of pending writes loses a buffer mid-wrap and Netty says so (SEVERE, "Resetting
        // readableBytes to 0") while it recovers; the guard then closes the connection. Allowed only together with
        // the guard's own report of that fault.
        boolean faultInWrap = output.contains("after a fault reading a mapped window");
        for (String line : output.lines().toList()) {
            boolean wrapRecovery = faultInWrap && line.startsWith("SEVERE: readableBytes is ")
                    && line.endsWith("Resetting readableBytes to 0.");
            // WebFlux logs a body that ended in onError after the status was sent (HttpWebHandlerAdapter,
            // "Error [...]"): with our FileTruncatedException that is the truncation reported as designed.
            boolean springReport = frontEnd.equals("webflux") && line.startsWith("SEVERE: [")
                    && line.contains("Error [io.reactivemmap.FileTruncatedException");
            assertFalse(!wrapRecovery && !springReport && (line.startsWith("Exception in thread") || line.startsWith("SEVERE")
                    || line.startsWith("WARNING") || line.contains("after an error") || line.contains("fatal")),
                    "the child logged '" + line + "':\n" + output);
        }
        Matcher m = Pattern.compile("RESULT received=(\\d+) size=(\\d+) mismatches=(\\d+) firstMismatch=(-?\\d+) liveWindows=(\\d+)")
                .matcher(output);
        assertTrue(m.find(), output);
        long received = Long.parseLong(m.group(1));
        long size = Long.parseLong(m.group(2));
        assertTrue(received >= TlsTruncationCanary.READ_BEFORE, "the client got the first part before the truncation\n" + output);
        assertTrue(received < size, "the connection ended before Content-Length\n" + output);
        assertEquals(0, Long.parseLong(m.group(3)), "bytes that are not the file's (zeros or garbage from the truncated "
                + "mapping) reached the client\n" + output);
        assertEquals(0, Long.parseLong(m.group(5)), "windows left mapped in the child\n" + output);
    }
}
