package io.reactivemmap.benchmarks.jmh;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes given as JMH parameters ({@code -p window=16MiB}): bytes, or a number with KiB, MiB or GiB. */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(B|KiB|MiB|GiB)?");

    private Sizes() {
    }

    /**
     * @param name the parameter's name, for the error message
     * @throws IllegalArgumentException naming the parameter and the value if it is not a positive size
     */
    static long parse(String name, String value) {
        Matcher m = SIZE.matcher(value.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("-p " + name + "=" + value + " is not a positive size: write bytes, or a "
                    + "number followed by KiB, MiB or GiB (for example -p " + name + "=16MiB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        int shift = switch (unit.toLowerCase(Locale.ROOT)) {
            case "kib" -> 10;
            case "mib" -> 20;
            case "gib" -> 30;
            default -> 0;
        };
        if (Long.numberOfLeadingZeros(n) <= shift + 1) {
            throw new IllegalArgumentException("-p " + name + "=" + value + " is too large");
        }
        return n << shift;
    }

    /** {@link #parse} for a size that must fit a window or a buffer (an {@code int}). */
    static int parseInt(String name, String value) {
        long n = parse(name, value);
        if (n > Integer.MAX_VALUE - 4096) {
            throw new IllegalArgumentException("-p " + name + "=" + value + " is larger than a window can be (2 GiB - 4 KiB)");
        }
        return (int) n;
    }
}
