package io.lorafn.bench;

import java.util.Arrays;

/** Small statistics for benchmark runs. */
public final class Stats {
    private Stats() {
    }

    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** The nearest-rank percentile, {@code q} in (0, 1]. */
    public static double percentile(double[] values, double q) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, (int) Math.ceil(q * v.length) - 1)];
    }
}
