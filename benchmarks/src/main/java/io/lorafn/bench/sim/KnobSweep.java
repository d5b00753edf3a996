package io.lorafn.bench.sim;

import io.lorafn.pool.scale.PoolConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Every combination of {@code min_warm}, {@code prewarm} and {@code idle_timeout_s} simulated on one
 * trace, and the cheapest that meets a p99 time-to-first-token target: the fewest worker-seconds (every
 * worker costs the same memory and cores), then the fewest idle ones.
 */
public final class KnobSweep {
    private KnobSweep() {
    }

    public static List<SimResult> run(List<TraceCall> trace, PoolModel model, List<Integer> minWarm, List<Integer> prewarm,
                                      List<Double> idleTimeoutS, int maxWorkers, double targetConcurrency) {
        List<SimResult> results = new ArrayList<>();
        for (int m : minWarm) {
            for (int p : prewarm) {
                for (double idle : idleTimeoutS) {
                    if (m <= maxWorkers) {
                        results.add(PoolSimulator.run(trace, new PoolConfig(m, maxWorkers, p, idle, targetConcurrency), model));
                    }
                }
            }
        }
        return results;
    }

    public static Optional<SimResult> cheapestMeeting(List<SimResult> results, double p99TargetMs) {
        return results.stream().filter(r -> r.p99TtftMs() <= p99TargetMs)
                .min(Comparator.comparingDouble(SimResult::workerSeconds).thenComparingDouble(SimResult::idleWorkerSeconds));
    }
}
