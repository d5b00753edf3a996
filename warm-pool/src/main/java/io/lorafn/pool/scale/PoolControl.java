package io.lorafn.pool.scale;

import io.lorafn.pool.contract.WorkerInfo;
import java.util.List;
import java.util.Map;

/** What the operator reads and changes of the pool while it runs: its knobs and its workers. Blocking; call off event loops. */
public interface PoolControl {
    PoolConfig config();

    /** Applies some knobs (names as in {@link PoolConfig#KNOBS}); takes effect at the autoscaler's next tick. */
    PoolConfig update(Map<String, ?> changes);

    List<WorkerInfo> workers();
}
