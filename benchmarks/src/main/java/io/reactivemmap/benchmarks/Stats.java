package io.reactivemmap.benchmarks;

import java.util.Arrays;
import java.util.List;

/** Medians and percentiles of measured samples. */
final class Stats {
    private Stats() {
    }

    static double median(List<Double> samples) {
        return percentile(samples, 50);
    }

    static double percentile(List<Double> samples, double p) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        double[] s = samples.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        if (p == 50 && s.length % 2 == 0) {
            return (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
        int i = (int) Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100.0 * s.length) - 1));
        return s[i];
    }

    static double percentile(long[] sortedNanos, int count, double p) {
        if (count == 0) {
            return Double.NaN;
        }
        int i = (int) Math.min(count - 1, Math.max(0, Math.ceil(p / 100.0 * count) - 1));
        return sortedNanos[i];
    }

    static double min(List<Double> samples) {
        return samples.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> samples) {
        return samples.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
