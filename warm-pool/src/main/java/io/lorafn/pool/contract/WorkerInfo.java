package io.lorafn.pool.contract;

import java.io.Serializable;
import java.util.List;

/**
 * What a worker reports about itself on every heartbeat, and what the pool manager keeps in the
 * Hazelcast map {@code workers}. Serializable because the map holds it.
 *
 * @param node          the machine the worker runs on
 * @param slots         batch slots: the most calls it runs at once
 * @param freeSlots     slots not taken by a call at the time of the heartbeat
 * @param hotAdapters   adapter versions resident in the hot tier, as {@code tenant/name/version}
 * @param warmAdapters  adapter versions held in the warm tier
 * @param lastSeenMs    Redis server time of the heartbeat, set by the heartbeat script
 * @param restore       the restore's phases, from the process's start to WARM; null before WARM
 */
public record WorkerInfo(String id, String node, long pid, WorkerState state, int slots, int freeSlots,
                         List<String> hotAdapters, List<String> warmAdapters, long lastSeenMs, RestoreTimings restore)
        implements Serializable {
    /** A worker not seen yet and not restored yet. */
    public WorkerInfo(String id, String node, long pid, WorkerState state, int slots, int freeSlots, List<String> hotAdapters,
                      List<String> warmAdapters) {
        this(id, node, pid, state, slots, freeSlots, hotAdapters, warmAdapters, 0, null);
    }

    public WorkerInfo {
        hotAdapters = hotAdapters == null ? List.of() : List.copyOf(hotAdapters);
        warmAdapters = warmAdapters == null ? List.of() : List.copyOf(warmAdapters);
    }

    /** From the process's start to WARM; 0 before. */
    public long restoreMs() {
        return restore == null ? 0 : restore.totalMs();
    }

    public WorkerInfo seenAt(long serverMs) {
        return new WorkerInfo(id, node, pid, state, slots, freeSlots, hotAdapters, warmAdapters, serverMs, restore);
    }
}
