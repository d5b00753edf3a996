package io.lorafn.pool.scale;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The KPA rule without I/O, shared by the {@link Autoscaler} and the pool simulator: the workers a demand
 * wants now, and how many to keep, which is the most wanted over the last {@code idle_timeout_s} (scaling
 * up is immediate, scaling down waits out the grace period). One instance per pool: it remembers the
 * recent wants.
 */
public final class ScalingPolicy {
    private record Want(long atMs, int workers) {
    }

    private final Deque<Want> recent = new ArrayDeque<>();

    /**
     * The demand a tick sees: the calls in flight or waiting now, and at least one when a call arrived since
     * the last tick. Calls shorter than a tick would otherwise go unseen, and steady traffic of short calls
     * would scale the pool to zero under it (found by the workload benchmark).
     */
    public static long demand(long inFlightOrWaiting, boolean arrivedSinceLastTick) {
        return arrivedSinceLastTick ? Math.max(1, inFlightOrWaiting) : inFlightOrWaiting;
    }

    /**
     * Workers wanted for {@code demand} calls in flight or waiting: {@code ceil(demand / target_concurrency)
     * + prewarm} while there is any demand, never fewer than {@code min_warm} nor more than {@code max_workers}.
     */
    public static int wanted(PoolConfig config, long demand) {
        int needed = demand == 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (long) Math.ceil(demand / config.targetConcurrency()) + config.prewarm());
        return Math.min(config.maxWorkers(), Math.max(config.minWarm(), needed));
    }

    /** Records {@code want} at {@code nowMs}; returns how many workers to keep: the most wanted over the grace period, at most max_workers. */
    public int keep(PoolConfig config, long nowMs, int want) {
        recent.addLast(new Want(nowMs, want));
        while (!recent.isEmpty() && recent.peekFirst().atMs() < nowMs - (long) (config.idleTimeoutS() * 1000)) {
            recent.removeFirst();
        }
        return Math.min(config.maxWorkers(), recent.stream().mapToInt(Want::workers).max().orElse(want));
    }
}
