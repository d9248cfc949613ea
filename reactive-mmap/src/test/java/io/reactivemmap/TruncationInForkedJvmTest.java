package io.reactivemmap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Truncating a file under a running stream can crash a JVM (SIGBUS), so it runs in a forked JVM
 * ({@link TruncationChild}); this test asserts that the child checked everything, exited 0 and left no
 * {@code hs_err_pid*.log}. Interpreted (-Xint, small file) and after JIT warm-up (several full passes first).
 */
@ExtendWith(NoLeakedWindows.class)
class TruncationInForkedJvmTest {
    private static final List<String> READ_SCENARIOS = List.of("read-mid-aligned", "read-mid-unaligned", "read-boundary");

    @TempDir
    Path dir;

    @Test
    void interpretedReadsOfATruncatedFileFailWithFileTruncatedException() throws Exception {
        List<String> scenarios = new ArrayList<>(READ_SCENARIOS);
        scenarios.add("raw-windows");
        scenarios.add("close-while-reading");
        runChild(List.of("-Xint"), 8L << 20, 1 << 20, 0, scenarios);
    }

    @Test
    void compiledReadsAfterWarmUpOfATruncatedFileFailWithFileTruncatedException() throws Exception {
        runChild(List.of(), 128L << 20, 4 << 20, 5, READ_SCENARIOS);
    }

    @Test
    void aCompiledRawWindowsReaderAfterTruncationAndACloseWhileReadingDoNotCrashTheJvm() throws Exception {
        runChild(List.of(), 128L << 20, 4 << 20, 5, List.of("raw-windows", "close-while-reading"));
    }

    private void runChild(List<String> jvmOptions, long size, int windowSize, int warmUpPasses, List<String> scenarios)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow(() -> new AssertionError("no java command"));
        List<String> command = new ArrayList<>();
        command.add(java);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-Xmx256m");
        command.add("-XX:-CreateCoredumpOnCrash");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(TruncationChild.class.getName());
        command.add(dir.resolve("truncated.bin").toString());
        command.add(Long.toString(size));
        command.add(Integer.toString(windowSize));
        command.add(Integer.toString(warmUpPasses));
        command.addAll(scenarios);

        Path log = dir.resolve("child.log");
        Process child = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!child.waitFor(60, TimeUnit.SECONDS)) {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("the child JVM hung:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> crashLogs = files.filter(p -> p.getFileName().toString().startsWith("hs_err_pid")).toList();
            assertEquals(List.of(), crashLogs, () -> "the child JVM crashed:\n" + output);
        }
        assertEquals(0, child.exitValue(), () -> "child exit code; output:\n" + output);
        for (String scenario : scenarios) {
            assertTrue(output.contains("SCENARIO-OK " + scenario), () -> scenario + " not confirmed; output:\n" + output);
        }
        assertTrue(output.contains("TRUNCATION-CHILD-DONE"), () -> "no completion marker; output:\n" + output);
    }
}
