package io.lorafn.bench.sim;

import io.lorafn.pool.scale.PoolConfig;

/**
 * One simulated run: what the callers saw and what the pool cost.
 *
 * @param workerSeconds     worker processes alive (restoring, warm or draining) integrated over the run
 * @param idleWorkerSeconds warm workers with no call integrated over the run: the cost of being warm
 */
public record SimResult(PoolConfig knobs, int calls, int coldStarts, double p50TtftMs, double p95TtftMs, double p99TtftMs,
                        double workerSeconds, double idleWorkerSeconds, int peakWorkers) {
    public double coldStartRate() {
        return calls == 0 ? 0 : (double) coldStarts / calls;
    }
}
