package io.lorafn.bench.decode;

import io.lorafn.bench.Stats;

/**
 * Timed runs, each with the memory bandwidth read beside it (the mean of the probe readings just before and
 * just after it). The fraction of bandwidth is taken run by run, each run against its own reading, and then
 * the median: a host whose bandwidth moves between runs would otherwise set one run's speed against
 * another moment's bandwidth.
 */
public record PairedRuns(double[] tokensPerS, double[] bandwidthGbS) {
    public PairedRuns {
        if (tokensPerS.length == 0 || tokensPerS.length != bandwidthGbS.length) {
            throw new IllegalArgumentException(tokensPerS.length + " runs with " + bandwidthGbS.length + " bandwidth readings");
        }
        tokensPerS = tokensPerS.clone();
        bandwidthGbS = bandwidthGbS.clone();
    }

    public double medianTokensPerS() {
        return Stats.median(tokensPerS);
    }

    public double medianBandwidthGbS() {
        return Stats.median(bandwidthGbS);
    }

    public double minBandwidthGbS() {
        return java.util.Arrays.stream(bandwidthGbS).min().orElseThrow();
    }

    public double maxBandwidthGbS() {
        return java.util.Arrays.stream(bandwidthGbS).max().orElseThrow();
    }

    /** The median over runs of {@code tokens/s × bytesPerToken ÷ bandwidth}, each run against its own reading. */
    public double medianFraction(long bytesPerToken) {
        double[] fractions = new double[tokensPerS.length];
        for (int i = 0; i < fractions.length; i++) {
            fractions[i] = tokensPerS[i] * bytesPerToken / (bandwidthGbS[i] * 1e9);
        }
        return Stats.median(fractions);
    }
}
