package io.lorafn.pool.node;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.lorafn.pool.cluster.ClusterMember;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The node agent: one per machine, a member of the cluster. It carries out the pool manager's orders for
 * its own node ({@link WorkerOrder}, map {@code worker-orders}) with this machine's worker processes:
 * starts the workers ordered to run, drains those ordered to stop, and stops any it runs without an order.
 * It acts on each order as it is written (an entry listener), and looks again every second in case an
 * event was missed.
 */
public final class NodeAgent implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NodeAgent.class.getName());

    private final String node;
    private final WorkerProcesses local;
    private final IMap<String, WorkerOrder> orders;
    private final ScheduledExecutorService reconciler;
    private final UUID listener;

    /** @param node this machine's name, as the member advertises it ({@link ClusterMember.Settings#node}) */
    public NodeAgent(ClusterMember member, String node, WorkerProcesses local) {
        this.node = node;
        this.local = local;
        this.orders = member.workerOrders();
        this.reconciler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lorafn-node-agent");
            t.setDaemon(true);
            return t;
        });
        this.listener = orders.addEntryListener(new OrderListener(), false);
        reconciler.scheduleWithFixedDelay(this::reconcileQuietly, 0, 1, TimeUnit.SECONDS);
    }

    private final class OrderListener implements EntryAddedListener<String, WorkerOrder>, EntryUpdatedListener<String, WorkerOrder> {
        @Override
        public void entryAdded(EntryEvent<String, WorkerOrder> event) {
            reconciler.execute(NodeAgent.this::reconcileQuietly);
        }

        @Override
        public void entryUpdated(EntryEvent<String, WorkerOrder> event) {
            reconciler.execute(NodeAgent.this::reconcileQuietly);
        }
    }

    private void reconcileQuietly() {
        try {
            reconcile();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node agent " + node + ": " + e);
        }
    }

    /** Makes this machine's workers match the orders for this node. */
    void reconcile() {
        Set<String> running = new HashSet<>(local.ids());
        Set<String> ordered = new HashSet<>();
        for (WorkerOrder o : orders.values()) {
            if (!o.node().equals(node)) {
                continue;
            }
            if (o.stop()) {
                if (running.remove(o.id())) {
                    local.stop(o.id()); // drains, then goes; its calls in flight finish
                }
                orders.remove(o.id());
            } else {
                ordered.add(o.id());
                if (!running.contains(o.id())) {
                    local.start(o.id(), o.prefetch());
                }
            }
        }
        for (String id : running) {
            if (!ordered.contains(id)) {
                LOG.log(System.Logger.Level.INFO, "node agent " + node + ": worker " + id + " has no order; stopping it");
                local.stop(id);
            }
        }
    }

    /** The workers this agent runs now. */
    public List<String> ids() {
        return local.ids();
    }

    @Override
    public void close() {
        orders.removeEntryListener(listener);
        reconciler.shutdownNow();
    }
}
