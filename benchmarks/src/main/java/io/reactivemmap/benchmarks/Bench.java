package io.reactivemmap.benchmarks;

import io.reactivemmap.internal.NativeAccess;

import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs the whole-process benchmark suites and writes their tables and charts. Usage (see {@code benchmarks/run.sh}):
 *
 * <pre>
 * Bench [--quick] [--data DIR] [--results DIR] [read] [bound] [budget] [checksum]
 * </pre>
 *
 * With no suite named, all run. {@code --quick} uses small files and few rounds: a smoke check, not a measurement.
 * The micro-benchmarks (arena close, map cost by window size, the publisher's cost per window, the mapped write path)
 * are JMH benchmarks in {@code io.reactivemmap.benchmarks.jmh}, run with {@code benchmarks/run.sh jmh}.
 */
public final class Bench {
    private static final List<String> SUITES = List.of("read", "bound", "budget", "checksum");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path data = Path.of("bench-data");
        Path results = Path.of("results");
        List<String> suites = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--quick" -> quick = true;
                case "--data" -> data = Path.of(args[++i]);
                case "--results" -> results = Path.of(args[++i]);
                case "all" -> suites.addAll(SUITES);
                case "-h", "--help" -> {
                    System.out.println("usage: Bench [--quick] [--data DIR] [--results DIR] [" + String.join("|", SUITES)
                            + "|all]...");
                    return;
                }
                default -> {
                    if (!SUITES.contains(a)) {
                        System.err.println("unknown suite or option '" + a + "'; suites are " + SUITES
                                + ", options --quick, --data DIR, --results DIR" + (a.equals("arena") || a.equals("mapcost")
                                ? " (the " + a + " suite is a JMH benchmark now: benchmarks/run.sh jmh)" : ""));
                        System.exit(2);
                    }
                    suites.add(a);
                }
            }
        }
        if (suites.isEmpty()) {
            suites.addAll(SUITES);
        }
        Config config = quick ? Config.quick(data, results) : Config.full(data, results);
        System.out.println(header("run", config));
        if (!NativeAccess.available()) {
            System.out.println("WARNING: " + NativeAccess.unavailableReason().orElse("")
                    + " — populateAhead and advice are off, so those rows mean nothing");
        }
        long t0 = System.nanoTime();
        for (String suite : suites) {
            switch (suite) {
                case "read" -> new ReadSuite(config).run();
                case "bound" -> new BoundSuite(config).run();
                case "budget" -> new BudgetSuite(config).run();
                case "checksum" -> new ChecksumSuite(config).run();
                default -> throw new IllegalStateException(suite);
            }
        }
        System.out.printf(Locale.ROOT, "%nall suites done in %.0f s; results in %s%n", (System.nanoTime() - t0) / 1e9,
                results.toAbsolutePath());
    }

    /** The Markdown header of a results file: what, when, where, and how noisy. */
    static String header(String suite, Config config) {
        return "## reactive-mmap benchmarks: " + suite + (config.quick() ? " (QUICK MODE: smoke check, not a measurement)" : "")
                + "\n\n"
                + "- date: " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + "\n"
                + "- machine: " + Machine.description() + "\n"
                + "- JVM flags: " + String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) + "\n"
                + "- load average at write time: " + Machine.loadAverage() + "\n"
                + "- native advice: " + (NativeAccess.available() ? "on" : "off (" + NativeAccess.unavailableReason().orElse("") + ")")
                + "\n\n";
    }
}
