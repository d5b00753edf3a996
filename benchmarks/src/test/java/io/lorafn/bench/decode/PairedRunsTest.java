package io.lorafn.bench.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PairedRunsTest {
    @Test
    void eachRunIsSetAgainstItsOwnBandwidth() {
        // the second run was fast because the machine was: against its own reading it used the same share
        PairedRuns runs = new PairedRuns(new double[] {10, 40, 30}, new double[] {1, 4, 1});
        assertEquals(10.0, runs.medianFraction(1_000_000_000L), 1e-12);
        assertEquals(30.0, runs.medianTokensPerS(), 1e-12);
        assertEquals(1.0, runs.medianBandwidthGbS(), 1e-12);
        // the ratio of the medians would have said 30
        assertEquals(30.0, runs.medianTokensPerS() * 1e9 / (runs.medianBandwidthGbS() * 1e9), 1e-12);
        assertEquals(1.0, runs.minBandwidthGbS());
        assertEquals(4.0, runs.maxBandwidthGbS());
    }

    @Test
    void theFractionScalesWithTheBytesEachTokenReads() {
        PairedRuns runs = new PairedRuns(new double[] {20}, new double[] {32});
        assertEquals(20 * 1.2e9 / 32e9, runs.medianFraction(1_200_000_000L), 1e-12);
    }

    @Test
    void everyRunNeedsItsReading() {
        assertThrows(IllegalArgumentException.class, () -> new PairedRuns(new double[] {1, 2}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> new PairedRuns(new double[0], new double[0]));
    }

    @Test
    void theRecordKeepsItsOwnCopies() {
        double[] rates = {5, 6, 7};
        PairedRuns runs = new PairedRuns(rates, new double[] {1, 1, 1});
        rates[1] = 1000;
        assertEquals(6.0, runs.medianTokensPerS(), 1e-12);
    }
}
