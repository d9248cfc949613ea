package io.reactivemmap.benchmarks;

import java.util.ArrayList;
import java.util.List;

/** A result table, printed to the console and written as Markdown. */
final class Table {
    private final String title;
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    Table(String title, String... header) {
        this.title = title;
        this.header = List.of(header);
    }

    Table row(Object... cells) {
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    Table note(String note) {
        notes.add(note);
        return this;
    }

    String title() {
        return title;
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("### ").append(title).append("\n\n");
        b.append("| ").append(String.join(" | ", header)).append(" |\n");
        b.append("|");
        for (int i = 0; i < header.size(); i++) {
            b.append(i == 0 ? "---|" : "---:|");
        }
        b.append('\n');
        for (List<String> r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        if (!notes.isEmpty()) {
            b.append('\n');
            for (String n : notes) {
                b.append("- ").append(n).append('\n');
            }
        }
        return b.append('\n').toString();
    }

    String text() {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
            for (List<String> r : rows) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("== ").append(title).append(" ==\n");
        line(b, header, w);
        for (List<String> r : rows) {
            line(b, r, w);
        }
        for (String n : notes) {
            b.append("  * ").append(n).append('\n');
        }
        return b.toString();
    }

    private static void line(StringBuilder b, List<String> cells, int[] w) {
        for (int i = 0; i < cells.size(); i++) {
            String c = cells.get(i);
            if (i == 0) {
                b.append(String.format("%-" + w[i] + "s", c));
            } else {
                b.append("  ").append(String.format("%" + w[i] + "s", c));
            }
        }
        b.append('\n');
    }

    static String f(double v, int decimals) {
        return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
    }
}
