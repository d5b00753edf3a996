package io.lorafn.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Length distributions as the command line writes them. */
class DistributionTest {
    static int[] samples(String spec, int n) {
        Distribution d = Distribution.parse(spec);
        SplittableRandom random = new SplittableRandom(9);
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = d.sample(random);
        }
        return v;
    }

    @Test
    void badSpecificationsAreRefusedWithTheFormsThatWork() {
        for (String bad : List.of("", "fixed", "fixed:0", "fixed:abc", "fixed:3:4", "uniform:5", "uniform:10:5", "uniform:0:5",
                "lognormal:48", "lognormal:48:-1", "gaussian:10:2")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Distribution.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "' is not a length distribution"), e.getMessage());
            assertTrue(e.getMessage().contains("fixed:N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA"), e.getMessage());
        }
    }

    @Test
    void goodSpecificationsParseWhateverTheirCaseAndPrintBack() {
        assertEquals(new Distribution("fixed", 7, 0), Distribution.parse("FIXED:7"));
        assertEquals("uniform:5:9", Distribution.parse("Uniform:5:9").toString());
        assertEquals("lognormal:48:0.5", Distribution.parse("lognormal:48:0.5").toString());
    }

    @Test
    void samplesStayWithinTheirDistributionsBounds() {
        assertTrue(Arrays.stream(samples("fixed:7", 1000)).allMatch(v -> v == 7));
        int[] uniform = samples("uniform:5:9", 10_000);
        assertTrue(Arrays.stream(uniform).allMatch(v -> v >= 5 && v <= 9), "within [MIN, MAX]");
        assertEquals(5, Arrays.stream(uniform).distinct().count(), "MIN and MAX both reached");
        int[] wide = samples("lognormal:1:3", 10_000);
        assertTrue(Arrays.stream(wide).allMatch(v -> v >= 1), "never below 1, however wide the tail");
        int[] lognormal = samples("lognormal:48:0.5", 10_001);
        Arrays.sort(lognormal);
        assertEquals(48, lognormal[5000], 3, "the median is MEDIAN");
        assertTrue(lognormal[10_000] > 2 * 48, "a long tail: " + lognormal[10_000]);
    }
}
