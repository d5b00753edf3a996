package io.lorafn.pool.queue;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker's stream ({@code lf:w:{id}}), read in a consumer group. A call stays pending until the
 * worker acks it, which it does only after the call's final result is written: delivery is at least
 * once. Calls pending on a consumer that died are taken over with {@link #reclaim} (XAUTOCLAIM).
 */
public final class WorkerStream {
    public static final String GROUP = "workers";
    private static final io.lorafn.pool.redis.RedisScript ACK = io.lorafn.pool.redis.RedisScript.resource(WorkerStream.class, "ack.lua");

    private final RedisAPI redis;
    private final String key;

    public WorkerStream(RedisAPI redis, String workerId) {
        this.redis = redis;
        this.key = RedisKeys.workerStream(workerId);
    }

    /** A call as delivered: its entry id (to ack) and the call. */
    public record Delivery(String entryId, Invocation call) {
    }

    /** Creates the stream and its group if they do not exist yet. */
    public Future<Void> ensureGroup() {
        return redis.xgroup(List.of("CREATE", key, GROUP, "0", "MKSTREAM")).<Void>mapEmpty().recover(e ->
                e.getMessage() != null && e.getMessage().startsWith("BUSYGROUP") ? Future.succeededFuture() : Future.failedFuture(e));
    }

    /** New calls for {@code consumer}, waiting up to {@code blockMs} when there are none. */
    public Future<List<Delivery>> read(String consumer, int count, long blockMs) {
        return redis.xreadgroup(List.of("GROUP", GROUP, consumer, "COUNT", Integer.toString(count), "BLOCK", Long.toString(blockMs),
                "STREAMS", key, ">")).map(r -> r == null || r.size() == 0 ? List.<Delivery>of() : entries(r.get(0).get(1)));
    }

    /** Acks and deletes the entry, so {@link #assigned} counts only unfinished calls. */
    public Future<Void> ack(String entryId) {
        return ACK.run(redis, List.of(key), List.of(GROUP, entryId)).mapEmpty();
    }

    /** Calls assigned to this worker and not yet finished (waiting in the stream or running). */
    public Future<Long> assigned() {
        return redis.xlen(key).map(r -> r.toLong());
    }

    /** Takes over calls that another consumer took but has not acked for {@code minIdleMs}. */
    public Future<List<Delivery>> reclaim(String consumer, long minIdleMs, int count) {
        return redis.xautoclaim(List.of(key, GROUP, consumer, Long.toString(minIdleMs), "0-0", "COUNT", Integer.toString(count)))
                .map(r -> entries(r.get(1))); // [cursor, entries] (Redis 7 adds deleted ids as a third element)
    }

    public Future<Long> pending() {
        return redis.xpending(List.of(key, GROUP)).map(r -> r.get(0).toLong());
    }

    private static List<Delivery> entries(Response list) {
        List<Delivery> out = new ArrayList<>();
        for (Response entry : list) {
            Response fields = entry.get(1);
            if (fields == null) {
                continue; // an entry deleted while pending
            }
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if (CallQueues.FIELD.equals(fields.get(i).toString())) {
                    out.add(new Delivery(entry.get(0).toString(), ContractJson.read(fields.get(i + 1).toString(), Invocation.class)));
                }
            }
        }
        return out;
    }
}
