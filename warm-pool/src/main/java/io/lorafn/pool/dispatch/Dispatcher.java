package io.lorafn.pool.dispatch;

import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.WorkerStream;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Moves calls from the tenants' queues to the workers' streams: as many as the workers have free batch
 * slots (a worker's stream length is its unfinished calls, since a worker deletes what it acks), the
 * tenants chosen by {@link DeficitRoundRobin} with their tier weights (recorded by the invoker with each
 * call), each call to a worker that has its adapter hot, else warm, else the one with the most free
 * slots (chosen in the move's script, {@code placement.lua}). The workers are whatever the supplier gives
 * at the start of each pass: the live ones from the directory. One dispatcher runs per cluster.
 */
public final class Dispatcher {
    private final RedisAPI redis;
    private final CallQueues queues;
    private final DeficitRoundRobin drr;
    private final Supplier<List<WorkerInfo>> workerSlots;
    private final Function<List<String>, Future<Map<String, Double>>> tenantWeights;

    /** Places calls on the workers {@code workers} gives (slots, hot and warm adapters), weighting tenants by their tiers. */
    public Dispatcher(RedisAPI redis, Supplier<List<WorkerInfo>> workers) {
        this.redis = redis;
        this.queues = new CallQueues(redis);
        this.drr = new DeficitRoundRobin(1);
        this.workerSlots = workers;
        this.tenantWeights = queues::weights;
    }

    /** A fixed set of workers and fixed tenant weights. */
    public Dispatcher(RedisAPI redis, Map<String, Integer> workerSlots, ToDoubleFunction<String> tenantWeight) {
        this.redis = redis;
        this.queues = new CallQueues(redis);
        this.drr = new DeficitRoundRobin(1);
        List<WorkerInfo> fixed = workerSlots.entrySet().stream().map(e -> new WorkerInfo(e.getKey(), "", 0, WorkerState.WARM,
                e.getValue(), e.getValue(), List.of(), List.of())).toList();
        this.workerSlots = () -> fixed;
        this.tenantWeights = tenants -> {
            Map<String, Double> w = new HashMap<>();
            tenants.forEach(t -> w.put(t, tenantWeight.applyAsDouble(t)));
            return Future.succeededFuture(w);
        };
    }

    /** One dispatch pass; completes with how many calls it moved. */
    public Future<Integer> dispatchOnce() {
        Map<String, Long> free = new LinkedHashMap<>();
        List<Future<Long>> loads = new ArrayList<>();
        List<WorkerInfo> workers = workerSlots.get();
        if (workers.isEmpty()) {
            return Future.succeededFuture(0); // calls wait in their queues until a worker is live
        }
        for (WorkerInfo w : workers) {
            loads.add(new WorkerStream(redis, w.id()).assigned().onSuccess(n -> {
                synchronized (free) {
                    free.put(w.id(), Math.max(0, w.slots() - n));
                }
            }));
        }
        return Future.all(loads).compose(v -> queues.activeTenants()).compose(tenants -> {
            Map<String, Integer> depths = new HashMap<>();
            List<Future<Long>> lengths = new ArrayList<>();
            for (String t : tenants) {
                lengths.add(queues.depth(t).onSuccess(n -> {
                    synchronized (depths) {
                        depths.put(t, (int) Math.min(Integer.MAX_VALUE, n));
                    }
                }));
            }
            return Future.all(lengths).compose(x -> tenantWeights.apply(List.copyOf(depths.keySet()))).compose(weights -> {
                List<Future<Void>> forgets = new ArrayList<>();
                depths.forEach((t, n) -> {
                    if (n == 0) {
                        forgets.add(queues.forgetIfEmpty(t));
                    }
                });
                int slots = (int) Math.min(Integer.MAX_VALUE, free.values().stream().mapToLong(Long::longValue).sum());
                List<String> picks = drr.plan(depths, weights, slots);
                return Future.all(forgets).compose(y -> moveInOrder(picks, workers, 0, 0));
            });
        });
    }

    /** Moves picks one after another; the script places each and counts the slots. */
    private Future<Integer> moveInOrder(List<String> picks, List<WorkerInfo> workers, int index, int moved) {
        if (index == picks.size()) {
            return Future.succeededFuture(moved);
        }
        return queues.dispatchOldest(picks.get(index), workers)
                .compose(placed -> moveInOrder(picks, workers, index + 1, moved + (placed.isPresent() ? 1 : 0)));
    }
}
