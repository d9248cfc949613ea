package io.reactivemmap.samples;

import io.reactivemmap.MapOptions;
import io.reactivemmap.RecordOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Smoke tests: the grep sample counts what a plain String-based count finds, through main's own code path. */
@ExtendWith(NoLeakedWindows.class)
@Timeout(60)
class GrepMainTest {
    @TempDir
    Path dir;

    /** The reference: decode everything, split on '\n', String.contains. Shares no code with the sample. */
    private static long[] referenceCount(Path file, String pattern) throws Exception {
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        if (text.isEmpty()) {
            return new long[] {0, 0};
        }
        List<String> lines = List.of(text.split("\n", -1));
        if (text.endsWith("\n")) {
            lines = lines.subList(0, lines.size() - 1);
        }
        long matched = lines.stream().map(l -> l.endsWith("\r") ? l.substring(0, l.length() - 1) : l)
                .filter(l -> l.contains(pattern)).count();
        return new long[] {lines.size(), matched};
    }

    @Test
    void runCountsMatchingAndAllLinesOfAGeneratedLogLikeAPlainStringCount() throws Exception {
        Path log = dir.resolve("demo.log");
        DemoFiles.writeLog(log, 3_000_003); // not a multiple of anything: the last line is cut, without newline
        long[] expected = referenceCount(log, "ERROR");
        assertTrue(expected[1] > 1000, "the demo log has errors to find: " + expected[1]);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = GrepMain.run(new String[] {log.toString(), "--pattern", "ERROR", "--window-size", "64k", "--show", "2"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, stdout + err);

        Matcher m = Pattern.compile("(?m)^matched (\\d+) lines (\\d+)  (.+)$").matcher(stdout);
        assertTrue(m.find(), stdout);
        assertEquals(expected[1], Long.parseLong(m.group(1)), stdout);
        assertEquals(expected[0], Long.parseLong(m.group(2)), stdout);
        assertEquals(log.toString(), m.group(3));
        List<String> shown = stdout.lines().filter(l -> l.startsWith("match ")).toList();
        assertEquals(2, shown.size(), stdout);
        assertTrue(shown.stream().allMatch(l -> l.contains("ERROR")), stdout);
        assertTrue(stdout.contains("GB/s"), stdout);
    }

    @Test
    void countAgreesWithTheReferenceForEdgeCasePatternsAndContent() throws Exception {
        Path f = Files.writeString(dir.resolve("edge.txt"),
                "abcab\r\nxxab\n\nab\nb\nabab\nxabc\r\nca\nabc", StandardCharsets.ISO_8859_1);
        for (String pattern : new String[] {"ab", "abc", "b", "c\r", "abcab", "zzz", "xxabc"}) {
            long[] expected = referenceCount(f, pattern);
            for (int windowSize : new int[] {1, 3, 7, 4096}) {
                GrepMain.Result r = GrepMain.count(f, pattern.getBytes(StandardCharsets.ISO_8859_1),
                        RecordOptions.lines().withMapOptions(MapOptions.defaults().withWindowSize(windowSize)), 0,
                        new AtomicLong());
                assertEquals(expected[0], r.lines(), pattern + " / window " + windowSize);
                assertEquals(expected[1], r.matched(), pattern + " / window " + windowSize);
            }
        }
    }

    @Test
    void emptyFileHasNoLinesAndAMissingFileIsAClearError() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.log"));
        GrepMain.Result r = GrepMain.count(empty, "x".getBytes(StandardCharsets.US_ASCII), RecordOptions.lines(), 1, new AtomicLong());
        assertEquals(0, r.lines());
        assertEquals(0, r.matched());

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = GrepMain.run(new String[] {dir.resolve("missing.log").toString()}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(1, status);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("missing.log"), err.toString(StandardCharsets.UTF_8));
        assertEquals(2, GrepMain.run(new String[] {"--bogus"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(new ByteArrayOutputStream())));
    }
}
