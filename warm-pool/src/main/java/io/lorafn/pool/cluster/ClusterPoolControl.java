package io.lorafn.pool.cluster;

import com.hazelcast.map.IMap;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.pool.scale.PoolControl;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The pool's knobs and workers as the cluster holds them: the config in the map {@code pool-config}
 * (so every member and the autoscaler, wherever it runs, see one value), the workers in {@code workers}.
 * An update is a compare-and-set loop on the map entry, so two operators changing different knobs at
 * once both take effect.
 */
public final class ClusterPoolControl implements PoolControl {
    public static final String CONFIG_MAP = "pool-config";
    private static final String KEY = "current";

    private final IMap<String, PoolConfig> configs;
    private final IMap<String, WorkerInfo> workers;

    public ClusterPoolControl(ClusterMember member, PoolConfig initial) {
        this.configs = member.hazelcast().getMap(CONFIG_MAP);
        this.workers = member.workers();
        configs.putIfAbsent(KEY, initial); // a member joining a running cluster keeps the operator's settings
    }

    /** Sets the config outright: the operator's flags when a stack starts. */
    public void set(PoolConfig config) {
        configs.set(KEY, config);
    }

    @Override
    public PoolConfig config() {
        PoolConfig c = configs.get(KEY);
        return c != null ? c : PoolConfig.DEFAULT;
    }

    @Override
    public PoolConfig update(Map<String, ?> changes) {
        while (true) {
            PoolConfig current = configs.get(KEY);
            PoolConfig next = (current != null ? current : PoolConfig.DEFAULT).with(changes);
            if (current == null ? configs.putIfAbsent(KEY, next) == null : configs.replace(KEY, current, next)) {
                return next;
            }
        }
    }

    @Override
    public List<WorkerInfo> workers() {
        return workers.values().stream().sorted(Comparator.comparing(WorkerInfo::id)).toList();
    }
}
