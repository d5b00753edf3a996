package io.lorafn.pool.dispatch;

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
 * call), each call to the worker with the most free slots. The workers are whatever the supplier gives at
 * the start of each pass: the live ones from the directory. Adapter affinity (hot, then warm) comes with
 * the elastic pool (issue 6). One dispatcher runs per cluster.
 */
public final class Dispatcher {
    private final RedisAPI redis;
    private final CallQueues queues;
    private final DeficitRoundRobin drr;
    private final Supplier<Map<String, Integer>> workerSlots;
    private final Function<List<String>, Future<Map<String, Double>>> tenantWeights;

    /** Places calls on the workers {@code workerSlots} gives (id to batch slots), weighting tenants by their tiers. */
    public Dispatcher(RedisAPI redis, Supplier<Map<String, Integer>> workerSlots) {
        this.redis = redis;
        this.queues = new CallQueues(redis);
        this.drr = new DeficitRoundRobin(1);
        this.workerSlots = workerSlots;
        this.tenantWeights = queues::weights;
    }

    /** A fixed set of workers and fixed tenant weights. */
    public Dispatcher(RedisAPI redis, Map<String, Integer> workerSlots, ToDoubleFunction<String> tenantWeight) {
        this.redis = redis;
        this.queues = new CallQueues(redis);
        this.drr = new DeficitRoundRobin(1);
        Map<String, Integer> fixed = Map.copyOf(workerSlots);
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
        Map<String, Integer> workers = workerSlots.get();
        if (workers.isEmpty()) {
            return Future.succeededFuture(0); // calls wait in their queues until a worker is live
        }
        for (Map.Entry<String, Integer> w : workers.entrySet()) {
            loads.add(new WorkerStream(redis, w.getKey()).assigned().onSuccess(n -> {
                synchronized (free) {
                    free.put(w.getKey(), Math.max(0, w.getValue() - n));
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
                return Future.all(forgets).compose(y -> moveInOrder(picks, free, 0, 0));
            });
        });
    }

    /** Moves picks one after another, each to the worker with the most free slots. */
    private Future<Integer> moveInOrder(List<String> picks, Map<String, Long> free, int index, int moved) {
        if (index == picks.size()) {
            return Future.succeededFuture(moved);
        }
        String worker = free.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        return queues.moveOldest(picks.get(index), worker).compose(call -> {
            if (call.isPresent()) {
                free.merge(worker, -1L, Long::sum);
            }
            return moveInOrder(picks, free, index + 1, moved + (call.isPresent() ? 1 : 0));
        });
    }
}
