package io.lorafn.pool.queue;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.RedisKeys;
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
    private static final RedisScript MOVE = RedisScript.resource(CallQueues.class, "move_oldest.lua");

    private final RedisAPI redis;

    public CallQueues(RedisAPI redis) {
        this.redis = redis;
    }

    /** Appends an accepted call; completes with its entry id. */
    public Future<String> enqueue(Invocation call) {
        return redis.xadd(List.of(RedisKeys.queue(call.tenant()), "*", FIELD, ContractJson.write(call))).map(Object::toString);
    }

    public Future<Long> depth(String tenant) {
        return redis.xlen(RedisKeys.queue(tenant)).map(r -> r.toLong());
    }

    /** Moves the tenant's oldest call to the worker's stream; empty when the queue is. */
    public Future<Optional<Invocation>> moveOldest(String tenant, String workerId) {
        return MOVE.run(redis, List.of(RedisKeys.queue(tenant), RedisKeys.workerStream(workerId)), List.of())
                .map(r -> r == null ? Optional.empty() : Optional.of(ContractJson.read(r.toString(), Invocation.class)));
    }
}
