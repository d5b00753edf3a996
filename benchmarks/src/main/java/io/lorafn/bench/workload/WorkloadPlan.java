package io.lorafn.bench.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * An open-loop workload, fixed before it runs and the same for the same seed: Poisson arrivals at
 * {@code rate} calls a second for {@code durationS}, each call's tenant drawn from a Zipf distribution
 * over {@code tenants} (tenant 0 the most popular), its prompt and output lengths from their distributions.
 */
public record WorkloadPlan(double rate, double durationS, int tenants, double zipfS, Distribution promptTokens, Distribution outputTokens,
                           long seed, List<PlannedCall> calls) {

    /** One call: when to send it (ms from the start), whose, and how long. */
    public record PlannedCall(long atMs, int tenant, int promptTokens, int maxTokens) {
    }

    public static WorkloadPlan generate(double rate, double durationS, int tenants, double zipfS, Distribution prompt, Distribution output, long seed) {
        if (!(rate > 0) || !(durationS > 0) || tenants < 1 || zipfS < 0) {
            throw new IllegalArgumentException("rate and duration must be > 0, tenants >= 1, zipf exponent >= 0");
        }
        SplittableRandom random = new SplittableRandom(seed);
        double[] cumulative = new double[tenants];
        double total = 0;
        for (int i = 0; i < tenants; i++) {
            total += 1 / Math.pow(i + 1, zipfS);
            cumulative[i] = total;
        }
        List<PlannedCall> calls = new ArrayList<>();
        double t = 0;
        while (true) {
            t += -Math.log(1 - random.nextDouble()) / rate * 1000; // exponential gaps: a Poisson process
            if (t >= durationS * 1000) {
                break;
            }
            double u = random.nextDouble() * total;
            int lo = 0, hi = tenants - 1;
            while (lo < hi) { // the first tenant whose cumulative weight reaches u
                int mid = (lo + hi) >>> 1;
                if (cumulative[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            calls.add(new PlannedCall((long) t, lo, prompt.sample(random), output.sample(random)));
        }
        return new WorkloadPlan(rate, durationS, tenants, zipfS, prompt, output, seed, List.copyOf(calls));
    }
}
