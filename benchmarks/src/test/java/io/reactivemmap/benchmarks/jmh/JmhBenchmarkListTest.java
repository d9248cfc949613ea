package io.reactivemmap.benchmarks.jmh;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * JMH finds benchmarks only through META-INF/BenchmarkList, which its annotation processor writes at compile time; if
 * the processor does not run (javac 23+ runs none found on the class path alone), the jar builds and runs nothing,
 * silently. This checks that the list names every {@code @Benchmark} method of this package's compiled classes, and
 * that those include the four suites. It runs no benchmark.
 */
class JmhBenchmarkListTest {
    private static final String PACKAGE = JmhBenchmarkListTest.class.getPackageName();
    private static final List<Class<?>> SUITES = List.of(ArenaClose.class, MapCost.class, PublisherOverhead.class,
            MappedByteBufWrite.class);

    @Test
    void benchmarkListNamesEveryBenchmarkMethodOfThePackage() throws Exception {
        Set<String> listed = listedBenchmarks();
        Set<String> declared = declaredBenchmarks();

        for (Class<?> suite : SUITES) {
            assertTrue(declared.stream().anyMatch(b -> b.startsWith(suite.getName() + ".")),
                    () -> suite.getName() + " declares no @Benchmark method");
        }
        assertEquals(declared, listed, "META-INF/BenchmarkList (what JMH would run) against the @Benchmark methods "
                + "compiled in " + PACKAGE + ": is jmh-generator-annprocess on the compiler's annotationProcessorPaths?");
    }

    @Test
    void groupedBenchmarksAreListedAsTheirGroups() throws Exception {
        // JMH lists a @Group by its group name: one entry runs the closer and the busy thread together.
        Set<String> listed = listedBenchmarks();
        assertTrue(listed.contains(ArenaClose.class.getName() + ".computing"), () -> String.valueOf(listed));
        assertTrue(listed.contains(ArenaClose.class.getName() + ".reading"), () -> String.valueOf(listed));
        assertFalse(listed.contains(ArenaClose.class.getName() + ".compute"), () -> String.valueOf(listed));
    }

    /** The benchmarks of this package in every BenchmarkList on the class path, as {@code class.method-or-group}. */
    private static Set<String> listedBenchmarks() throws IOException {
        List<URL> lists = Collections.list(JmhBenchmarkListTest.class.getClassLoader()
                .getResources(BenchmarkList.BENCHMARK_LIST.substring(1)));
        assertFalse(lists.isEmpty(), "no " + BenchmarkList.BENCHMARK_LIST + " on the class path: JMH's annotation "
                + "processor did not run on the benchmarks module");
        Set<String> names = new TreeSet<>();
        for (URL url : lists) {
            try (InputStream in = url.openStream()) {
                for (BenchmarkListEntry e : BenchmarkList.readBenchmarkList(in)) {
                    if (e.getUserClassQName().startsWith(PACKAGE + ".")) {
                        names.add(e.getUsername());
                    }
                }
            }
        }
        return names;
    }

    /**
     * Every {@code @Benchmark} method of the package's compiled main classes, as JMH names them: the method, or its
     * {@code @Group} when it has one.
     */
    private static Set<String> declaredBenchmarks() throws IOException, URISyntaxException, ClassNotFoundException {
        Path classes = Path.of(ArenaClose.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path dir = classes.resolve(PACKAGE.replace('.', '/'));
        List<String> classNames = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .forEach(n -> classNames.add(PACKAGE + "." + n.substring(0, n.length() - ".class".length())));
        }
        Set<String> names = new TreeSet<>();
        for (String name : classNames) {
            if (name.endsWith(".package-info")) {
                continue;
            }
            Class<?> c = Class.forName(name, false, JmhBenchmarkListTest.class.getClassLoader());
            for (Method m : c.getDeclaredMethods()) {
                if (m.isAnnotationPresent(Benchmark.class)) {
                    org.openjdk.jmh.annotations.Group g = m.getAnnotation(org.openjdk.jmh.annotations.Group.class);
                    names.add(c.getName() + "." + (g == null ? m.getName() : g.value()));
                }
            }
        }
        assertFalse(names.isEmpty(), "no @Benchmark method compiled in " + dir);
        return names;
    }
}
