package io.lorafn.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The workload a seed fixes: repeatable, Poisson in time, Zipf over tenants. */
class WorkloadPlanTest {
    static final Distribution PROMPT = Distribution.parse("uniform:5:9");
    static final Distribution OUTPUT = Distribution.parse("lognormal:16:0.5");

    static WorkloadPlan plan(double rate, double durationS, int tenants, double zipfS, long seed) {
        return WorkloadPlan.generate(rate, durationS, tenants, zipfS, PROMPT, OUTPUT, seed);
    }

    @Test
    void theSameSeedGivesTheSamePlanAndAnotherSeedAnother() {
        WorkloadPlan a = plan(5, 60, 50, 1.1, 42);
        assertTrue(a.calls().size() > 100, "enough calls to compare: " + a.calls().size());
        assertEquals(a, plan(5, 60, 50, 1.1, 42), "every call's time, tenant and lengths");
        WorkloadPlan b = plan(5, 60, 50, 1.1, 43);
        assertNotEquals(a.calls(), b.calls());
        assertNotEquals(a.calls().stream().map(WorkloadPlan.PlannedCall::atMs).toList(), b.calls().stream().map(WorkloadPlan.PlannedCall::atMs).toList(),
                "the arrival times differ, not just the lengths");
    }

    @Test
    void arrivalsArePoissonAtTheRate() {
        double rate = 20;
        WorkloadPlan p = plan(rate, 300, 10, 1, 7);
        List<WorkloadPlan.PlannedCall> calls = p.calls();
        // about 6000 arrivals: the count and the mean gap within 5% (several standard errors), gaps exponential (sd = mean)
        assertEquals(rate * 300, calls.size(), 0.05 * rate * 300);
        double[] gaps = new double[calls.size() - 1];
        for (int i = 1; i < calls.size(); i++) {
            gaps[i - 1] = calls.get(i).atMs() - calls.get(i - 1).atMs();
            assertTrue(gaps[i - 1] >= 0, "in time order");
        }
        double mean = java.util.Arrays.stream(gaps).average().orElseThrow();
        assertEquals(1000 / rate, mean, 0.05 * 1000 / rate, "mean gap 1/rate");
        double sd = Math.sqrt(java.util.Arrays.stream(gaps).map(g -> (g - mean) * (g - mean)).sum() / gaps.length);
        assertEquals(1, sd / mean, 0.1, "exponential gaps: coefficient of variation 1");
        assertTrue(calls.getLast().atMs() < 300_000, "nothing after the duration");
    }

    @Test
    void tenantPopularityFollowsZipf() {
        double s = 1.1;
        int tenants = 50;
        WorkloadPlan p = plan(50, 400, tenants, s, 3); // about 20000 calls
        int[] counts = new int[tenants];
        p.calls().forEach(c -> counts[c.tenant()]++);
        for (int k = 1; k < 6; k++) {
            assertTrue(counts[k - 1] > counts[k], "rank " + (k - 1) + " more popular than rank " + k + ": " + java.util.Arrays.toString(counts));
        }
        // log(count) against log(rank + 1) over the ten most popular: a line of slope -s
        int n = 10;
        double mx = 0, my = 0;
        for (int k = 0; k < n; k++) {
            mx += Math.log(k + 1) / n;
            my += Math.log(counts[k]) / n;
        }
        double sxy = 0, sxx = 0;
        for (int k = 0; k < n; k++) {
            sxy += (Math.log(k + 1) - mx) * (Math.log(counts[k]) - my);
            sxx += (Math.log(k + 1) - mx) * (Math.log(k + 1) - mx);
        }
        assertEquals(-s, sxy / sxx, 0.15, "frequency ~ 1/(rank+1)^s");
        double h = 0;
        for (int k = 1; k <= tenants; k++) {
            h += 1 / Math.pow(k, s);
        }
        assertEquals(1 / h, (double) counts[0] / p.calls().size(), 0.1 / h, "the most popular tenant's share, 1/H(" + tenants + ", s)");
    }

    @Test
    void everyCallsTenantAndLengthsStayInTheirRanges() {
        WorkloadPlan p = plan(10, 100, 7, 0.8, 11);
        assertTrue(p.calls().stream().allMatch(c -> c.tenant() >= 0 && c.tenant() < 7));
        assertTrue(p.calls().stream().allMatch(c -> c.promptTokens() >= 5 && c.promptTokens() <= 9));
        assertTrue(p.calls().stream().allMatch(c -> c.maxTokens() >= 1));
    }

    @Test
    void aPlanWithoutRateDurationOrTenantsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> plan(0, 10, 5, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> plan(1, 0, 5, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> plan(1, 10, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> plan(1, 10, 5, -1, 1));
    }
}
