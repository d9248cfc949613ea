package io.reactivemmap.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What the reader of a result needs to judge its noise: the machine, the load average, and how much CPU other
 * processes used while a suite ran (all of the machine's busy time minus this JVM's, from /proc).
 */
final class Machine {
    private static final double TICKS_PER_SECOND = 100.0; // USER_HZ on Linux

    private Machine() {
    }

    static String description() {
        String cpu = "unknown CPU";
        long memKb = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    memKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: describe what we can
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), "
                + (memKb > 0 ? (memKb >> 20) + " GiB RAM, " : "")
                + System.getProperty("os.name") + " " + System.getProperty("os.version")
                + ", JDK " + Runtime.version();
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    /** A reading of the CPU counters; two readings give the CPU other processes used in between. */
    record CpuSample(long nanos, long busyTicks, long selfTicks) {
        static CpuSample now() {
            return new CpuSample(System.nanoTime(), Machine.busyTicks(), Machine.selfTicks());
        }

        /** Other processes' CPU use since {@code this}, in cores (0 to the core count). */
        double othersCoresSince(CpuSample start) {
            double seconds = (nanos - start.nanos) / 1e9;
            if (seconds <= 0 || busyTicks < 0 || selfTicks < 0) {
                return Double.NaN;
            }
            double others = ((busyTicks - start.busyTicks) - (selfTicks - start.selfTicks)) / TICKS_PER_SECOND;
            return Math.max(0, others / seconds);
        }
    }

    /** "load 1.20 0.90 0.70; other processes used 0.4 of 2 cores" */
    static String noise(CpuSample since) {
        double others = CpuSample.now().othersCoresSince(since);
        return "load average " + loadAverage() + "; other processes used "
                + (Double.isNaN(others) ? "n/a" : String.format(Locale.ROOT, "%.2f", others)) + " of "
                + Runtime.getRuntime().availableProcessors() + " cores during the suite";
    }

    private static long busyTicks() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] f = lines.get(0).trim().split("\\s+"); // cpu user nice system idle iowait irq softirq steal ...
            long busy = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                if (i != 4 && i != 5) { // idle and iowait are not busy
                    busy += Long.parseLong(f[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long selfTicks() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split("\\s+");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
