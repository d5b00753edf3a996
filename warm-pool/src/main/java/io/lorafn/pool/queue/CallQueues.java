package io.lorafn.pool.queue;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.lorafn.pool.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;
import java.util.Optional;

/**
 * The tenants' queues ({@code lf:q:{tenant}}, Redis streams): the invoker appends accepted calls, the
 * dispatcher moves them, oldest first, to a worker's stream. The move is one Lua script, so no crash
 * between the two steps can lose or duplicate a call.
 */
public final class CallQueues {
    static final String FIELD = "call";
    /** The set of tenants whose queues may hold calls; the dispatcher looks only at these. */
    public static final String ACTIVE = "lf:queues";
    /** Each queued tenant's share weight, as its invoker last enqueued it. */
    public static final String WEIGHTS = "lf:queue-weights";
    private static final RedisScript ENQUEUE = RedisScript.resources(CallQueues.class, "queue_call.lua", "enqueue.lua");
    private static final RedisScript FORGET = RedisScript.resource(CallQueues.class, "forget_if_empty.lua");
    private static final RedisScript ADMIT = RedisScript.resources(CallQueues.class, "placement.lua", "queue_call.lua", "admit.lua");
    private static final RedisScript DISPATCH = RedisScript.resources(CallQueues.class, "placement.lua", "dispatch_oldest.lua");

    private final RedisAPI redis;

    public CallQueues(RedisAPI redis) {
        this.redis = redis;
    }

    /** Appends an accepted call, recording its tenant's weight; completes with its entry id. */
    public Future<String> enqueue(Invocation call) {
        return ENQUEUE.run(redis, List.of(RedisKeys.queue(call.tenant()), ACTIVE, WEIGHTS),
                List.of(call.tenant(), ContractJson.write(call), Double.toString(call.weight()))).map(Object::toString);
    }

    /**
     * Admits and enqueues a call in one round trip: refused when its tenant's queue is full or its token
     * bucket is empty; otherwise the activation record is written and the call enqueued, together. When
     * nothing waits anywhere and a placeable worker has a free slot, the call goes to that worker directly.
     */
    public Future<Admission> admit(Invocation call, Admission.Limits limits, String activationJson, long activationTtlSeconds) {
        return ADMIT.run(redis, List.of(RedisKeys.rateLimit(call.tenant()), RedisKeys.queue(call.tenant()), RedisKeys.activation(call.id()),
                ACTIVE, WEIGHTS, RedisKeys.PLACEABLE, RedisKeys.ADMITTED), List.of(Double.toString(limits.rps()), Integer.toString(limits.burst()),
                Integer.toString(limits.maxDepth()), call.tenant(), ContractJson.write(call), Double.toString(call.weight()), activationJson,
                Long.toString(activationTtlSeconds), RedisKeys.workerStream(""), adapterKey(call)))
                .map(r -> {
                    Admission.Outcome outcome = Admission.Outcome.valueOf(r.get(0).toString());
                    String value = r.get(1).toString();
                    return switch (outcome) {
                        case ADMITTED -> new Admission(outcome, value, "queued".equals(r.get(2).toString()) ? null : r.get(2).toString(), 0, 0);
                        case RATE_LIMITED -> new Admission(outcome, null, null, Long.parseLong(value), 0);
                        case QUEUE_FULL -> new Admission(outcome, null, null, 0, Long.parseLong(value));
                    };
                });
    }

    /** The tenants' weights as last enqueued; 1 for a tenant with none. */
    public Future<java.util.Map<String, Double>> weights(List<String> tenants) {
        if (tenants.isEmpty()) {
            return Future.succeededFuture(java.util.Map.of());
        }
        List<String> args = new java.util.ArrayList<>(tenants.size() + 1);
        args.add(WEIGHTS);
        args.addAll(tenants);
        return redis.hmget(args).map(r -> {
            java.util.Map<String, Double> out = new java.util.HashMap<>();
            for (int i = 0; i < tenants.size(); i++) {
                out.put(tenants.get(i), r.get(i) == null ? 1.0 : Double.parseDouble(r.get(i).toString()));
            }
            return out;
        });
    }

    /** Tenants that may have calls waiting (a tenant stays listed until {@link #forgetIfEmpty}). */
    public Future<List<String>> activeTenants() {
        return redis.smembers(ACTIVE).map(r -> {
            List<String> out = new java.util.ArrayList<>();
            r.forEach(t -> out.add(t.toString()));
            return out;
        });
    }

    /** Drops an empty tenant from the active set; a concurrent enqueue re-adds it in its own script. */
    public Future<Void> forgetIfEmpty(String tenant) {
        return FORGET.run(redis, List.of(RedisKeys.queue(tenant), ACTIVE), List.of(tenant)).mapEmpty();
    }

    public Future<Long> depth(String tenant) {
        return redis.xlen(RedisKeys.queue(tenant)).map(r -> r.toLong());
    }

    /** A call moved to a worker. */
    public record Placed(Invocation call, String worker) {
    }

    /**
     * Moves the tenant's oldest call to the candidate that has its adapter hot, else warm, else the most free
     * slots (see {@code placement.lua}); empty when the queue is empty or no candidate has a free slot.
     */
    public Future<Optional<Placed>> dispatchOldest(String tenant, List<WorkerInfo> candidates) {
        JsonArray list = new JsonArray();
        for (WorkerInfo w : candidates) {
            list.add(candidate(w));
        }
        return DISPATCH.run(redis, List.of(RedisKeys.queue(tenant)), List.of(RedisKeys.workerStream(""), list.encode()))
                .map(r -> r == null ? Optional.empty()
                        : Optional.of(new Placed(ContractJson.read(r.get(0).toString(), Invocation.class), r.get(1).toString())));
    }

    /** A worker as placement reads it: batch slots and the adapters it holds hot and warm. */
    public static JsonObject candidate(WorkerInfo w) {
        return new JsonObject().put("id", w.id()).put("slots", w.slots()).put("hot", new JsonArray(w.hotAdapters()))
                .put("warm", new JsonArray(w.warmAdapters()));
    }

    /** How placement names the adapter a call runs: {@code tenant/name/version}, as workers report them. */
    static String adapterKey(Invocation call) {
        return call.tenant() + "/" + call.adapterName() + "/" + call.adapterVersion();
    }

    /** Moves the tenant's oldest call to the given worker's stream, whatever its load; empty when the queue is empty. */
    public Future<Optional<Invocation>> moveOldest(String tenant, String workerId) {
        WorkerInfo anyLoad = new WorkerInfo(workerId, "", 0, WorkerState.WARM, Integer.MAX_VALUE, Integer.MAX_VALUE, List.of(), List.of());
        return dispatchOldest(tenant, List.of(anyLoad)).map(placed -> placed.map(Placed::call));
    }
}
