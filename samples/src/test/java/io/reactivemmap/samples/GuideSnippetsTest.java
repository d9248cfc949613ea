package io.reactivemmap.samples;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The guides' code blocks are copies of compiled code, and stay so.
 *
 * <ul>
 *   <li>A code block in a guide is <em>taken from a file</em> when the prose of its section (since the last
 *       heading) names a source file in backticks, such as {@code From `samples/src/main/java/.../X.java`:}; the last
 *       file named before the block is its source. Every such block must appear in that file verbatim, apart from
 *       the indentation removed from the whole block, with a line {@code …} standing for omitted lines (the pieces
 *       must appear in order).</li>
 *   <li>A region of a source file between {@code // [snippet GUIDE.md: name]} and {@code // [end snippet]} is shown
 *       whole in that guide: one of the guide's code blocks must be exactly that region, de-indented.</li>
 * </ul>
 */
class GuideSnippetsTest {
    /** The guides checked here, in docs/; each must have at least one block taken from a file. */
    private static final List<String> GUIDES = List.of("guide-netty.md", "guide-reactor-netty.md", "guide-reactor.md", "guide-kotlin.md", "guide-spring-webflux.md");
    private static final Pattern SOURCE = Pattern.compile("`([\\w./-]+/src/[\\w./-]+\\.(?:java|kt|properties))`");
    private static final Pattern FENCE = Pattern.compile("^```(\\w*)\\s*$");
    private static final Pattern REGION_START = Pattern.compile("^\\s*// \\[snippet ([\\w.-]+\\.md): ([\\w -]+)]\\s*$");
    private static final Pattern REGION_END = Pattern.compile("^\\s*// \\[end snippet]\\s*$");

    private record Block(String guide, int line, List<String> lines, Path source) {
    }

    static Path repository() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isDirectory(dir.resolve("docs")) && Files.isDirectory(dir.resolve("samples")))) {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "no repository root (with docs/ and samples/) above " + Path.of("").toAbsolutePath());
        return dir;
    }

    /** Every fenced code block of a guide, with the source file its section names (null if none). */
    static List<Block> blocks(Path root, String guide) throws IOException {
        List<String> md = Files.readAllLines(root.resolve("docs").resolve(guide));
        List<Block> blocks = new ArrayList<>();
        Path source = null;
        for (int i = 0; i < md.size(); i++) {
            String l = md.get(i);
            if (l.startsWith("#")) {
                source = null;
                continue;
            }
            Matcher fence = FENCE.matcher(l);
            if (fence.matches()) {
                int start = i + 1;
                int end = start;
                while (end < md.size() && !md.get(end).startsWith("```")) {
                    end++;
                }
                if (!fence.group(1).isEmpty()) {
                    blocks.add(new Block(guide, start, md.subList(start, end), source));
                }
                i = end;
                continue;
            }
            Matcher named = SOURCE.matcher(l);
            while (named.find()) {
                source = root.resolve(named.group(1));
            }
        }
        return blocks;
    }

    @TestFactory
    Stream<DynamicTest> everyBlockTakenFromAFileAppearsInItVerbatim() throws IOException {
        Path root = repository();
        List<DynamicTest> tests = new ArrayList<>();
        for (String guide : GUIDES) {
            List<Block> taken = blocks(root, guide).stream().filter(b -> b.source() != null).toList();
            tests.add(DynamicTest.dynamicTest(guide + " has blocks taken from files",
                    () -> assertTrue(!taken.isEmpty(), guide + " names no source file before any code block")));
            for (Block b : taken) {
                tests.add(DynamicTest.dynamicTest(guide + ":" + b.line() + " in " + root.relativize(b.source()),
                        () -> assertAppearsIn(b, Files.readAllLines(b.source()))));
            }
        }
        return tests.stream();
    }

    @Test
    void everyMarkedRegionIsShownWholeInItsGuide() throws IOException {
        Path root = repository();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(root.resolve("samples/src/main"))) {
            sources = files.filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".kt")).toList();
        }
        int regions = 0;
        for (Path f : sources) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                Matcher start = REGION_START.matcher(lines.get(i));
                if (!start.matches()) {
                    continue;
                }
                int end = i + 1;
                while (end < lines.size() && !REGION_END.matcher(lines.get(end)).matches()) {
                    end++;
                }
                assertTrue(end < lines.size(), f + ":" + (i + 1) + ": no // [end snippet] after the region start");
                List<String> region = dedent(lines.subList(i + 1, end));
                String guide = start.group(1);
                assertTrue(GUIDES.contains(guide), f + ":" + (i + 1) + ": " + guide + " is not checked by this test; add it to GUIDES");
                boolean shown = blocks(root, guide).stream().anyMatch(b -> b.lines().equals(region));
                assertTrue(shown, root.relativize(f) + ":" + (i + 1) + ": the region '" + start.group(2)
                        + "' is not shown as a whole code block in docs/" + guide + " (copy it there again):\n"
                        + String.join("\n", region));
                regions++;
                i = end;
            }
        }
        assertTrue(regions > 0, "no // [snippet ...] region found under samples/src/main");
    }

    @Test
    void anEditedOrReorderedCopyIsCaught() {
        List<String> source = List.of("class A {", "    void f() {", "        int a = 1;", "        int b = 2;", "    }", "}");
        Block exact = new Block("g", 1, List.of("void f() {", "    int a = 1;", "    int b = 2;", "}"), Path.of("A.java"));
        Block elided = new Block("g", 1, List.of("class A {", "…", "        int b = 2;"), Path.of("A.java"));
        assertAppearsIn(exact, source);
        assertAppearsIn(elided, source);
        for (List<String> wrong : List.of(List.of("int a = 2;"), List.of("int b = 2;", "…", "int a = 1;"),
                List.of("void f() {", "int a = 1;"))) {
            AssertionError e = null;
            try {
                assertAppearsIn(new Block("g", 1, wrong, Path.of("A.java")), source);
            } catch (AssertionError thrown) {
                e = thrown;
            }
            assertTrue(e != null, "accepted " + wrong);
        }
    }

    /** Each piece between "…" lines appears in {@code source}, in order, with one indentation added to all its lines. */
    private static void assertAppearsIn(Block b, List<String> source) {
        List<List<String>> pieces = new ArrayList<>();
        List<String> piece = new ArrayList<>();
        for (String l : b.lines()) {
            if (l.strip().equals("…") || l.strip().equals("...")) {
                pieces.add(piece);
                piece = new ArrayList<>();
            } else {
                piece.add(l);
            }
        }
        pieces.add(piece);
        int from = 0;
        for (List<String> p : pieces) {
            List<String> trimmed = trimBlankEnds(p);
            if (trimmed.isEmpty()) {
                continue;
            }
            int at = find(source, trimmed, from);
            if (at < 0) {
                fail(b.guide() + ":" + b.line() + ": this part of the block is not in " + b.source()
                        + (from > 0 ? " after line " + from : "") + " (copy it again from the file):\n" + String.join("\n", trimmed));
            }
            from = at + trimmed.size();
        }
    }

    private static int find(List<String> source, List<String> piece, int from) {
        for (int j = from; j + piece.size() <= source.size(); j++) {
            String first = source.get(j);
            if (!first.endsWith(piece.get(0)) || !first.substring(0, first.length() - piece.get(0).length()).isBlank()) {
                continue;
            }
            String indent = first.substring(0, first.length() - piece.get(0).length());
            boolean all = true;
            for (int k = 1; k < piece.size() && all; k++) {
                String s = source.get(j + k);
                String p = piece.get(k);
                all = p.isBlank() ? s.isBlank() : s.equals(indent + p);
            }
            if (all) {
                return j;
            }
        }
        return -1;
    }

    private static List<String> trimBlankEnds(List<String> lines) {
        int a = 0;
        int z = lines.size();
        while (a < z && lines.get(a).isBlank()) {
            a++;
        }
        while (z > a && lines.get(z - 1).isBlank()) {
            z--;
        }
        return lines.subList(a, z);
    }

    private static List<String> dedent(List<String> lines) {
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
    }

    @Test
    void dedentRemovesTheCommonIndentationOnly() {
        assertEquals(List.of("a", "  b", "", "c"), dedent(List.of("    a", "      b", "", "    c")));
    }
}
