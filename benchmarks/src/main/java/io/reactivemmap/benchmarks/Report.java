package io.reactivemmap.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Collects a suite's tables and charts, prints them, and writes {@code <suite>.md} and {@code <suite>*.svg}. */
final class Report {
    private final String suite;
    private final Config config;
    private final List<String> sections = new ArrayList<>();

    Report(String suite, Config config) {
        this.suite = suite;
        this.config = config;
    }

    void table(Table table) {
        System.out.println();
        System.out.print(table.text());
        sections.add(table.markdown());
    }

    void text(String markdown) {
        System.out.println(markdown);
        sections.add(markdown + "\n\n");
    }

    /** Writes {@code <suite>-<name>.svg} and links it from the Markdown. */
    void chart(String name, String svg) throws IOException {
        Files.createDirectories(config.resultsDir());
        String file = suite + "-" + name + ".svg";
        Files.writeString(config.resultsDir().resolve(file), svg);
        sections.add("![" + suite + " " + name + "](" + file + ")\n\n");
        System.out.println("chart: " + config.resultsDir().resolve(file));
    }

    Path write(String header) throws IOException {
        Files.createDirectories(config.resultsDir());
        Path file = config.resultsDir().resolve(suite + ".md");
        Files.writeString(file, header + String.join("", sections));
        System.out.println("results: " + file);
        return file;
    }
}
