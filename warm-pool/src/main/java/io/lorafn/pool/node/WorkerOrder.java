package io.lorafn.pool.node;

import java.io.Serializable;
import java.util.List;

/**
 * The pool manager's order for one worker, in the Hazelcast map {@code worker-orders}: run it on
 * {@code node} (loading {@code prefetch} while it restores), or, once {@code stop}, drain it and let it
 * go. The node's agent carries orders out; the map is the cluster's record of the workers it wants, so a
 * pool manager that takes over reads the same state. Serializable because the map holds it.
 */
public record WorkerOrder(String id, String node, List<String> prefetch, boolean stop) implements Serializable {
    public WorkerOrder {
        prefetch = List.copyOf(prefetch);
    }

    WorkerOrder stopping() {
        return new WorkerOrder(id, node, prefetch, true);
    }
}
