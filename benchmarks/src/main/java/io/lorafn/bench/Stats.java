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
}
