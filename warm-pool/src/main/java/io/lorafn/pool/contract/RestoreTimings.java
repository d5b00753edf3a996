package io.lorafn.pool.contract;

import java.io.Serializable;

/**
 * Where a worker's restore went, from the node agent starting its process to WARM.
 *
 * @param processStartMs from the agent's spawn to the worker's code running (JVM start, class loading)
 * @param connectMs      Redis (the object store's client starts alongside the next phases)
 * @param fetchMs        the model downloaded from the object store and converted (the naive path; 0 from a snapshot)
 * @param mapMs          the base model mapped (or loaded), the adapter cache and the scheduler set up
 * @param warmupMs       the JIT warm-up on dummy work before reporting WARM
 */
public record RestoreTimings(long processStartMs, long connectMs, long fetchMs, long mapMs, long warmupMs) implements Serializable {
    public long totalMs() {
        return processStartMs + connectMs + fetchMs + mapMs + warmupMs;
    }
}
