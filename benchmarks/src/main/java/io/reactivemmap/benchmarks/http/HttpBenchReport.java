package io.reactivemmap.benchmarks.http;

import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Turns the measurements of {@code benchmarks/http/run.sh} ({@code results.tsv} in a results folder) into
 * {@code report.md} (one Markdown table per case, with ratios against nginx with sendfile on and against the Netty
 * peer) and {@code chart.svg} (throughput and server CPU seconds per GB, one panel per case). No plotting tool:
 * the SVG is written here.
 *
 * <pre>usage: HttpBenchReport RESULTS_DIR</pre>
 *
 * <p>With several repetitions each figure is the median of that figure over the repetitions.
 */
public final class HttpBenchReport {
    /** The servers in the order the tables and charts list them; unknown ids are appended in order of appearance. */
    static final List<String> SERVER_ORDER = List.of("nginx-sendfile", "nginx-copy", "netty", "reactor-netty",
            "spring-webflux", "boot-default", "boot-starter", "ours-windows", "ours-sendfile", "ours-auto");
    static final List<String> CASE_ORDER = List.of("plain-1g-c1", "plain-1g-c16", "plain-64k-c16", "tls-1g-c1",
            "tls-1g-c16", "tls-64k-c16");
    static final String NGINX = "nginx-sendfile";
    static final String NETTY = "netty";
    private static final String[] COLOURS = {"#4e79a7", "#a0cbe8", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#ff9d9a",
            "#76b7b2", "#edc948"};

    private HttpBenchReport() {
    }

    /** One wrk run of one server on one case, as the script wrote it. */
    record Run(String server, String benchCase, int rep, int conns, long durationMicros, long requests, long bytes,
               long p99Micros, long errors, long non2xx, long cpuTicks, long clockTicks, long peakRssKb, double load1) {

        double gbPerSecond() {
            return durationMicros == 0 ? 0 : bytes / (double) durationMicros / 1000.0;
        }

        double requestsPerSecond() {
            return durationMicros == 0 ? 0 : requests * 1e6 / durationMicros;
        }

        double cpuSeconds() {
            return clockTicks == 0 ? 0 : cpuTicks / (double) clockTicks;
        }

        /** Server CPU seconds per GB (10^9 bytes) that wrk read; NaN when nothing was read. */
        double cpuSecondsPerGb() {
            return bytes == 0 ? Double.NaN : cpuSeconds() / (bytes / 1e9);
        }

        /**
         * p99 latency in ms; NaN when no request completed (a 1 GiB TLS response can outlast a short run) or the load
         * generator reports no percentiles (h2load, written as -1).
         */
        double p99Millis() {
            return requests == 0 || p99Micros < 0 ? Double.NaN : p99Micros / 1000.0;
        }
    }

    /** Medians over the repetitions of one server on one case. */
    record Summary(String server, String benchCase, int runs, double gbPerSecond, double requestsPerSecond,
                   double p99Millis, double cpuSecondsPerGb, double peakRssMib, long errors, long non2xx, double load1,
                   double primaryMin, double primaryMax) {

        /** The figure a case is judged by: requests/s for the 64 KiB files, GB/s for the 1 GiB file. */
        double primary() {
            return isSmallFiles(benchCase) ? requestsPerSecond : gbPerSecond;
        }
    }

    static boolean isSmallFiles(String benchCase) {
        return benchCase.contains("-64k-");
    }

    static List<Run> parse(List<String> lines) {
        List<Run> runs = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("server\t")) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length < 14) {
                throw new IllegalArgumentException("results.tsv line has " + f.length + " fields, expected 14: " + line);
            }
            runs.add(new Run(f[0], f[1], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Long.parseLong(f[4]),
                    Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]),
                    Long.parseLong(f[9]), Long.parseLong(f[10]), Long.parseLong(f[11]), Long.parseLong(f[12]),
                    Double.parseDouble(f[13])));
        }
        return runs;
    }

    /** Summaries keyed by case (in {@link #CASE_ORDER}), each keyed by server (in {@link #SERVER_ORDER}). */
    static Map<String, Map<String, Summary>> summarise(List<Run> runs) {
        List<String> cases = ordered(CASE_ORDER, runs.stream().map(Run::benchCase).toList());
        List<String> servers = ordered(SERVER_ORDER, runs.stream().map(Run::server).toList());
        Map<String, Map<String, Summary>> out = new LinkedHashMap<>();
        for (String c : cases) {
            Map<String, Summary> byServer = new LinkedHashMap<>();
            for (String s : servers) {
                List<Run> group = runs.stream().filter(r -> r.benchCase().equals(c) && r.server().equals(s)).toList();
                if (group.isEmpty()) {
                    continue;
                }
                ToDoubleFunction<Run> primary = isSmallFiles(c) ? Run::requestsPerSecond : Run::gbPerSecond;
                byServer.put(s, new Summary(s, c, group.size(), median(group, Run::gbPerSecond),
                        median(group, Run::requestsPerSecond), median(group, Run::p99Millis),
                        median(group, Run::cpuSecondsPerGb), median(group, r -> r.peakRssKb() / 1024.0),
                        group.stream().mapToLong(Run::errors).sum(), group.stream().mapToLong(Run::non2xx).sum(),
                        median(group, Run::load1),
                        group.stream().mapToDouble(primary).min().orElse(Double.NaN),
                        group.stream().mapToDouble(primary).max().orElse(Double.NaN)));
            }
            if (!byServer.isEmpty()) {
                out.put(c, byServer);
            }
        }
        return out;
    }

    private static List<String> ordered(List<String> preferred, List<String> seen) {
        List<String> result = new ArrayList<>(preferred.stream().filter(seen::contains).toList());
        seen.stream().distinct().filter(s -> !result.contains(s)).forEach(result::add);
        return result;
    }

    /** Median of the values that are not NaN; NaN if there are none. */
    static <T> double median(List<T> items, ToDoubleFunction<T> f) {
        double[] v = items.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** {@code value / reference} formatted as "1.23×", or "–" when either is missing. */
    static String ratio(double value, @Nullable Double reference) {
        if (reference == null || Double.isNaN(value) || Double.isNaN(reference) || reference == 0) {
            return "–";
        }
        return String.format(Locale.ROOT, "%.2f×", value / reference);
    }

    static String caseTitle(String benchCase) {
        String[] p = benchCase.split("-");
        String file = p[1].equals("1g") ? "1 GiB file" : "64 KiB files";
        String conns = p[2].substring(1);
        String protocol = switch (p[0]) {
            case "tls" -> "TLS";
            case "h2" -> "HTTP/2 over TLS (h2load)";
            case "h2c" -> "HTTP/2 plain, prior knowledge (h2load)";
            default -> p[0];
        };
        return file + ", " + protocol + ", " + conns + (conns.equals("1") ? " connection" : " connections");
    }

    static String serverTitle(String server, String benchCase) {
        boolean tls = benchCase.startsWith("tls-") || benchCase.startsWith("h2-");
        boolean http2 = benchCase.startsWith("h2-") || benchCase.startsWith("h2c-");
        return switch (server) {
            case "nginx-sendfile" -> tls ? "nginx 1.22 TLS (OpenSSL)" : "nginx 1.22, sendfile on";
            case "nginx-copy" -> "nginx 1.22, sendfile off";
            case "netty" -> tls ? "Netty 4.2 ChunkedNioFile 8 KiB + SslHandler (JDK)" : "Netty 4.2 DefaultFileRegion";
            case "reactor-netty" -> "Reactor Netty sendFile" + (tls ? " (chunked under TLS)" : "");
            case "spring-webflux" -> "Spring WebFlux 7 Resource";
            case "boot-default" -> "Spring Boot 4, its static resource handling";
            case "boot-starter" -> "Spring Boot 4 + reactive-mmap auto-configuration (mapped)";
            case "ours-windows" -> "reactive-mmap, windows" + (http2 ? " (every body mapped)" : "");
            case "ours-sendfile" -> "reactive-mmap, sendfile";
            case "ours-auto" -> "reactive-mmap, AUTO (" + (tls || http2 ? "≤256 KiB copied, larger mapped)"
                    : "≤64 KiB corked sendfile or copy, larger Netty sendfile)");
            default -> server;
        };
    }

    static String markdown(Map<String, Map<String, Summary>> summaries, List<String> environment, List<String> skipped) {
        StringBuilder md = new StringBuilder();
        md.append("# HTTP file serving, side by side on loopback\n\n");
        md.append("Generated by `benchmarks/http/run.sh` (HttpBenchReport). Client (wrk) and servers share the same ")
                .append("CPUs, so compare CPU s/GB as well as throughput. Ratios are against the same case's ")
                .append("nginx (sendfile on; under TLS nginx with OpenSSL) and Netty rows.\n\n");
        md.append("```\n");
        environment.forEach(l -> md.append(l).append('\n'));
        md.append("```\n\n");
        for (Map.Entry<String, Map<String, Summary>> e : summaries.entrySet()) {
            String c = e.getKey();
            Map<String, Summary> rows = e.getValue();
            boolean small = isSmallFiles(c);
            @Nullable Summary nginx = rows.get(NGINX);
            @Nullable Summary netty = rows.get(NETTY);
            md.append("## ").append(caseTitle(c)).append(" (`").append(c).append("`)\n\n");
            String primary = small ? "req/s" : "GB/s";
            md.append("| Server | GB/s | req/s | ").append(primary).append(" min–max | p99 ms | CPU s/GB | peak RSS MiB | ")
                    .append(primary).append(" × nginx | ")
                    .append(primary).append(" × Netty | CPU s/GB × nginx | CPU s/GB × Netty | errors | runs | load |\n");
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Summary s : rows.values()) {
                md.append("| ").append(serverTitle(s.server(), c))
                        .append(" | ").append(fmt(s.gbPerSecond(), 2))
                        .append(" | ").append(fmt(s.requestsPerSecond(), small ? 0 : 2))
                        .append(" | ").append(fmt(s.primaryMin(), small ? 0 : 2)).append("–")
                        .append(fmt(s.primaryMax(), small ? 0 : 2))
                        .append(" | ").append(fmt(s.p99Millis(), 1))
                        .append(" | ").append(fmt(s.cpuSecondsPerGb(), 3))
                        .append(" | ").append(fmt(s.peakRssMib(), 0))
                        .append(" | ").append(ratio(s.primary(), nginx == null ? null : nginx.primary()))
                        .append(" | ").append(ratio(s.primary(), netty == null ? null : netty.primary()))
                        .append(" | ").append(ratio(s.cpuSecondsPerGb(), nginx == null ? null : nginx.cpuSecondsPerGb()))
                        .append(" | ").append(ratio(s.cpuSecondsPerGb(), netty == null ? null : netty.cpuSecondsPerGb()))
                        .append(" | ").append(s.errors() + s.non2xx() == 0 ? "0" : s.errors() + " socket, " + s.non2xx() + " status")
                        .append(" | ").append(s.runs())
                        .append(" | ").append(fmt(s.load1(), 1))
                        .append(" |\n");
            }
            md.append('\n');
        }
        if (!skipped.isEmpty()) {
            md.append("Not measured:\n\n");
            skipped.forEach(l -> md.append("- ").append(l.replace('\t', ' ')).append('\n'));
            md.append('\n');
        }
        md.append("p99 is \"–\" when no request completed within the run (wrk still counts the bytes read), and for the ")
                .append("HTTP/2 cases, measured with h2load (one stream at a time per connection), which reports no percentiles. ")
                .append("CPU s/GB: server user+system CPU seconds (all its processes) divided by the GB wrk read. ")
                .append("Peak RSS: VmHWM summed over the server's processes, reset before each run. ")
                .append("Figures are medians over the runs; min–max shows their spread. Load: median 1-minute load ")
                .append("average at the start of the runs.\n");
        return md.toString();
    }

    static String fmt(double v, int decimals) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", v);
    }

    /** Two columns of horizontal bar panels: the case's primary figure (left) and server CPU s/GB (right). */
    static String svg(Map<String, Map<String, Summary>> summaries) {
        int width = 1240;
        int colWidth = width / 2;
        int labelWidth = 340;
        int barMax = colWidth - labelWidth - 70;
        int rowHeight = 18;
        List<String> allServers = ordered(SERVER_ORDER,
                summaries.values().stream().flatMap(m -> m.keySet().stream()).toList());
        StringBuilder body = new StringBuilder();
        int y = 40;
        for (Map.Entry<String, Map<String, Summary>> e : summaries.entrySet()) {
            String c = e.getKey();
            List<Summary> rows = List.copyOf(e.getValue().values());
            String unit = isSmallFiles(c) ? "requests/s" : "GB/s";
            body.append(text(10, y, caseTitle(c) + " — " + unit + " (higher is better)", "bold"));
            body.append(text(colWidth + 10, y, "server CPU s per GB (lower is better)", "bold"));
            y += 8;
            double maxPrimary = rows.stream().mapToDouble(Summary::primary).filter(d -> !Double.isNaN(d)).max().orElse(1);
            double maxCpu = rows.stream().mapToDouble(Summary::cpuSecondsPerGb).filter(d -> !Double.isNaN(d)).max().orElse(1);
            for (Summary s : rows) {
                String colour = COLOURS[allServers.indexOf(s.server()) % COLOURS.length];
                String label = serverTitle(s.server(), c);
                bar(body, 10, y, labelWidth, barMax, rowHeight, label, s.primary(), maxPrimary, colour,
                        fmt(s.primary(), isSmallFiles(c) ? 0 : 2));
                bar(body, colWidth + 10, y, labelWidth, barMax, rowHeight, label, s.cpuSecondsPerGb(), maxCpu, colour,
                        fmt(s.cpuSecondsPerGb(), 3));
                y += rowHeight + 2;
            }
            y += 30;
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + y + "\" viewBox=\"0 0 "
                + width + " " + y + "\" font-family=\"sans-serif\" font-size=\"12\">\n"
                + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                + text(10, 20, "HTTP file serving on loopback: reactive-mmap and peers (benchmarks/http/run.sh)", "bold")
                + body + "</svg>\n";
    }

    private static void bar(StringBuilder out, int x, int y, int labelWidth, int barMax, int rowHeight, String label,
                            double value, double max, String colour, String valueText) {
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                x + labelWidth - 6, y + rowHeight - 5, escape(label)));
        int w = Double.isNaN(value) || max <= 0 ? 0 : (int) Math.round(value / max * barMax);
        out.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
                x + labelWidth, y, Math.max(w, 1), rowHeight - 2, colour));
        out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n",
                x + labelWidth + w + 4, y + rowHeight - 5, escape(valueText)));
    }

    private static String text(int x, int y, String s, String weight) {
        return String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"%s\">%s</text>\n", x, y, weight, escape(s));
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: HttpBenchReport RESULTS_DIR (the folder holding results.tsv from benchmarks/http/run.sh)");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Path tsv = dir.resolve("results.tsv");
        if (!Files.isRegularFile(tsv)) {
            System.err.println("HttpBenchReport: " + tsv + " does not exist: run benchmarks/http/run.sh first");
            System.exit(2);
        }
        Map<String, Map<String, Summary>> summaries = summarise(parse(Files.readAllLines(tsv, StandardCharsets.UTF_8)));
        List<String> environment = readIfPresent(dir.resolve("environment.txt"));
        List<String> skipped = readIfPresent(dir.resolve("skipped.tsv")).stream().filter(l -> !l.isBlank()).toList();
        String md = markdown(summaries, environment, skipped);
        Files.writeString(dir.resolve("report.md"), md, StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("chart.svg"), svg(summaries), StandardCharsets.UTF_8);
        System.out.print(md);
    }

    private static List<String> readIfPresent(Path file) throws IOException {
        return Files.isRegularFile(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    }
}
