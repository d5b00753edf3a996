package io.lorafn.pool.workers;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The worker's side of the directory: it reports itself through Redis rather than joining Hazelcast,
 * because a Redis connection costs about 0.2 s of a restore and a Hazelcast client about 0.7 s
 * (FACTS.md). The pool manager mirrors these reports into the Hazelcast map ({@link WorkerDirectory}).
 */
public final class WorkerHeartbeats {
    private static final RedisScript BEAT = RedisScript.resource(WorkerHeartbeats.class, "heartbeat.lua");
    /** Shared with the directory: a worker leaving is a worker declared dead at once. */
    static final RedisScript REQUEUE = RedisScript.resource(WorkerHeartbeats.class, "requeue_dead.lua");

    private final RedisAPI redis;
    /** The state each worker reported last through this instance: a change is announced. */
    private final Map<String, WorkerState> lastState = new ConcurrentHashMap<>();

    public WorkerHeartbeats(RedisAPI redis) {
        this.redis = redis;
    }

    /**
     * Reports {@code info}; completes with the Redis server time it was recorded at. A beat whose state
     * differs from the previous one's is also announced on {@link RedisKeys#WORKERS_CHANGED}.
     */
    public Future<Long> beat(WorkerInfo info) {
        boolean changed = lastState.put(info.id(), info.state()) != info.state();
        return BEAT.run(redis, List.of(RedisKeys.WORKERS, RedisKeys.WORKERS_SEEN, RedisKeys.WORKERS_CHANGED),
                List.of(info.id(), ContractJson.write(info), changed ? "1" : "0")).map(r -> r.toLong());
    }

    /**
     * Takes a stopping worker out of the directory; whatever is still in its stream (calls it did not finish
     * draining, or never took) goes back to the tenants' queues.
     */
    public Future<Void> leave(String workerId) {
        return requeue(redis, workerId, 0).mapEmpty();
    }

    /** Requeues the worker's calls and forgets it, unless it was heard from within {@code silenceMs}: -1 then. */
    static Future<Long> requeue(RedisAPI redis, String workerId, long silenceMs) {
        return REQUEUE.run(redis, List.of(RedisKeys.WORKERS_SEEN, RedisKeys.WORKERS, RedisKeys.workerStream(workerId), CallQueues.ACTIVE),
                List.of(workerId, Long.toString(silenceMs), RedisKeys.queue(""))).map(r -> r.toLong());
    }
}
