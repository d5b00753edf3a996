package io.lorafn.pool.node;

import com.hazelcast.map.IMap;
import io.lorafn.pool.cluster.ClusterMember;
import io.lorafn.pool.scale.Autoscaler;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The autoscaler's decisions as orders to the node agents of the whole cluster ({@link NodeAgent}, one per
 * machine): a new worker goes to the agent's node that runs the fewest, below its capacity; a stop is
 * marked on the worker's order and carried out by its own node. Orders of a node whose agent left the
 * cluster are dropped (its workers went with it; the directory requeues their calls), so the next tick
 * starts their replacements elsewhere. Worker ids are {@code {node}-w{n}}, numbered on per node, unique in the cluster.
 */
public final class ClusterWorkers implements Autoscaler.Workers {
    private static final System.Logger LOG = System.getLogger(ClusterWorkers.class.getName());

    private final ClusterMember member;
    private final IMap<String, WorkerOrder> orders;
    private final IMap<String, Integer> sequence;
    private long warnedAtMs;

    public ClusterWorkers(ClusterMember member) {
        this.member = member;
        this.orders = member.workerOrders();
        this.sequence = member.hazelcast().getMap(ClusterMember.WORKER_ORDERS + "-sequence");
    }

    @Override
    public synchronized List<String> ids() {
        Map<String, Integer> agents = member.agentNodes();
        for (WorkerOrder o : orders.values()) {
            if (!agents.containsKey(o.node())) {
                orders.remove(o.id());
                LOG.log(System.Logger.Level.WARNING, "node " + o.node() + " has no agent in the cluster any more; its worker " + o.id()
                        + " is given up and replaced elsewhere");
            }
        }
        return orders.values().stream().filter(o -> !o.stop()).map(WorkerOrder::id).sorted().toList();
    }

    @Override
    public synchronized void start(List<String> prefetch) {
        Map<String, Integer> agents = member.agentNodes();
        Map<String, Integer> running = new HashMap<>();
        for (WorkerOrder o : orders.values()) {
            running.merge(o.node(), 1, Integer::sum); // a draining worker still occupies its node
        }
        String node = agents.entrySet().stream().filter(e -> running.getOrDefault(e.getKey(), 0) < e.getValue())
                .min(Comparator.comparing((Map.Entry<String, Integer> e) -> running.getOrDefault(e.getKey(), 0)).thenComparing(Map.Entry::getKey))
                .map(Map.Entry::getKey).orElse(null);
        if (node == null) {
            warnAtMostEveryMinute(agents.isEmpty() ? "no node agent in the cluster: no worker can be started (run 'lorafn up' or 'lorafn agent')"
                    : "every node agent is at its capacity " + agents + ": no worker can be started");
            return;
        }
        // numbered on, never reused: a stopped worker may still be draining under its old id
        String id = node + "-w" + sequence.merge(node, 1, Integer::sum);
        orders.put(id, new WorkerOrder(id, node, prefetch, false));
    }

    @Override
    public synchronized void stop(String id) {
        WorkerOrder o = orders.get(id);
        if (o != null && !o.stop()) {
            orders.put(id, o.stopping());
        }
    }

    private void warnAtMostEveryMinute(String message) {
        long now = System.currentTimeMillis();
        if (now - warnedAtMs > 60_000) {
            warnedAtMs = now;
            LOG.log(System.Logger.Level.WARNING, message);
        }
    }
}
