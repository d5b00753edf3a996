package io.lorafn.invoker.activations;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.ResultChunk;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The invoker's one reader of its reply stream ({@code lf:reply:{invoker}}): it routes each result chunk
 * to the request waiting for that activation, in sequence order, and forgets the activation after its
 * last chunk. One reader per invoker, not one per request, so a thousand open streams cost one
 * blocking read. Chunks for activations nobody waits for (the client went away) are dropped and counted;
 * the result is still in the activation record.
 */
public final class ReplyRouter implements AutoCloseable {
    private final Vertx vertx;
    private final RedisAPI redis;
    private final String key;
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final AtomicLong unrouted = new AtomicLong();
    private volatile boolean open = true;
    private String lastId = "$";

    public ReplyRouter(Vertx vertx, RedisAPI redis, String invokerId) {
        this.vertx = vertx;
        this.redis = redis;
        this.key = RedisKeys.reply(invokerId);
    }

    /** Starts reading; only chunks written after this call are routed. */
    public ReplyRouter start() {
        readNext();
        return this;
    }

    /** Routes {@code id}'s chunks to {@code sink}, in order, until and including the last one. Register before enqueueing. */
    public void register(String activationId, Consumer<ResultChunk> sink) {
        routes.put(activationId, new Route(sink));
    }

    public void unregister(String activationId) {
        routes.remove(activationId);
    }

    /** Chunks that arrived for no waiting request. */
    public long unrouted() {
        return unrouted.get();
    }

    private void readNext() {
        if (!open) {
            return;
        }
        redis.xread(List.of("BLOCK", "1000", "COUNT", "256", "STREAMS", key, lastId)).onComplete(ar -> {
            if (ar.succeeded()) {
                Response r = ar.result();
                if (r != null && r.size() > 0) {
                    for (Response entry : r.get(0).get(1)) {
                        lastId = entry.get(0).toString();
                        route(ContractJson.read(entry.get(1).get(1).toString(), ResultChunk.class));
                    }
                }
                readNext();
            } else if (open) {
                vertx.setTimer(200, t -> readNext()); // Redis unreachable: retry, the requests' own deadlines bound the wait
            }
        });
    }

    private void route(ResultChunk chunk) {
        Route route = routes.get(chunk.activationId());
        if (route == null) {
            unrouted.incrementAndGet();
            return;
        }
        if (route.accept(chunk)) {
            routes.remove(chunk.activationId());
        }
    }

    @Override
    public void close() {
        open = false;
    }

    /**
     * Delivers chunks in sequence order, holding any that arrive early. A call that a dead worker left runs
     * again from the start with the same seed, so its chunks repeat: those already delivered are dropped, and
     * the client sees each piece once. A last chunk from the rerun that falls behind (an error before it
     * produced anything, such as a passed deadline) ends the stream at once.
     */
    private static final class Route {
        private final Consumer<ResultChunk> sink;
        private final TreeMap<Integer, ResultChunk> early = new TreeMap<>();
        private int next;

        Route(Consumer<ResultChunk> sink) {
            this.sink = sink;
        }

        /** Returns true once the last chunk has been delivered. */
        synchronized boolean accept(ResultChunk chunk) {
            if (chunk.seq() < next) {
                if (chunk.last()) {
                    sink.accept(chunk);
                }
                return chunk.last();
            }
            early.put(chunk.seq(), chunk);
            boolean done = false;
            while (!early.isEmpty() && early.firstKey() == next) {
                ResultChunk c = early.pollFirstEntry().getValue();
                next++;
                sink.accept(c);
                done |= c.last();
            }
            return done;
        }
    }
}
