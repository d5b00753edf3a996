package io.lorafn.bench.decode;

import java.util.Locale;

/** How the benchmarks' JSON lines print a measured figure. */
final class JsonNumbers {
    private JsonNumbers() {
    }

    /** {@code value} in {@code format}; JSON has no NaN, so an unknown figure is null. */
    static String orNull(double value, String format) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, format, value);
    }
}
