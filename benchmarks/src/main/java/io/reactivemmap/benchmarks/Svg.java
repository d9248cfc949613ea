package io.reactivemmap.benchmarks;

import java.util.List;
import java.util.Locale;

/** A horizontal bar chart as plain SVG text, drawn by the harness itself (no external tools). */
final class Svg {
    /** One bar: a label, a value, and whether it is one of ours (drawn in a different colour). */
    record Bar(String label, double value, boolean ours) {
    }

    private Svg() {
    }

    static String bars(String title, String unit, List<Bar> bars) {
        int labelWidth = 300;
        int barArea = 420;
        int rowHeight = 24;
        int top = 40;
        int width = labelWidth + barArea + 90;
        int height = top + rowHeight * bars.size() + 20;
        double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
        if (max <= 0) {
            max = 1;
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"12\">\n", width, height, width, height));
        b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", width, height));
        b.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"22\" font-size=\"14\" font-weight=\"bold\">%s</text>\n",
                escape(title)));
        for (int i = 0; i < bars.size(); i++) {
            Bar bar = bars.get(i);
            int y = top + i * rowHeight;
            double w = Math.max(1, bar.value() / max * barArea);
            b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                    labelWidth - 8, y + 15, escape(bar.label())));
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                    labelWidth, y + 3, w, rowHeight - 6, bar.ours() ? "#2b6cb0" : "#a0aec0"));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s %s</text>\n",
                    labelWidth + w + 6, y + 15, format(bar.value()), escape(unit)));
        }
        return b.append("</svg>\n").toString();
    }

    private static String format(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
