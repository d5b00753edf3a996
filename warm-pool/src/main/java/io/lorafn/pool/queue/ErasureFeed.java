package io.lorafn.pool.queue;

import io.lorafn.pool.contract.AdapterErasure;
import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Adapter erasures broadcast to every worker, on the stream {@code lf:erasures}. A stream rather than
 * pub/sub: a worker that loses its connection for a moment reads on from the last entry it saw, so no
 * erasure is missed. Workers report through Redis (see {@code WorkerHeartbeats}), which is why this is
 * not the Hazelcast topic DESIGN.md names.
 */
public final class ErasureFeed {
    /** About this many erasures are kept; a worker reads them within a second. */
    private static final String MAXLEN = "10000";

    private final RedisAPI redis;

    public ErasureFeed(RedisAPI redis) {
        this.redis = redis;
    }

    /** An erasure as read, with the entry id to read on from. */
    public record Entry(String id, AdapterErasure erasure) {
    }

    public Future<Void> publish(AdapterErasure erasure) {
        return redis.xadd(List.of(RedisKeys.ERASURES, "MAXLEN", "~", MAXLEN, "*", "erasure", ContractJson.write(erasure))).mapEmpty();
    }

    /** The id of the newest entry ({@code 0-0} when there is none): a new follower reads what comes after it. */
    public Future<String> newest() {
        return redis.xrevrange(List.of(RedisKeys.ERASURES, "+", "-", "COUNT", "1"))
                .map(r -> r == null || r.size() == 0 ? "0-0" : r.get(0).get(0).toString());
    }

    /** Erasures after {@code afterId}, waiting up to {@code blockMs} when there are none. */
    public Future<List<Entry>> read(String afterId, long blockMs) {
        return redis.xread(List.of("COUNT", "100", "BLOCK", Long.toString(blockMs), "STREAMS", RedisKeys.ERASURES, afterId)).map(r -> {
            List<Entry> out = new ArrayList<>();
            if (r != null && r.size() > 0) {
                for (Response entry : r.get(0).get(1)) {
                    out.add(new Entry(entry.get(0).toString(), ContractJson.read(entry.get(1).get(1).toString(), AdapterErasure.class)));
                }
            }
            return out;
        });
    }
}
