package io.lorafn.pool.workers;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pool manager's view of the workers. Each refresh reads the heartbeats workers leave in Redis
 * ({@link WorkerHeartbeats}), keeps the live ones in {@code registry} (the Hazelcast map
 * {@code workers}, so every member sees them), and declares a worker dead after {@code silenceMs}
 * without a heartbeat: its calls go back to their tenants' queues and the dispatcher places them again.
 * A call a dead worker was running is thus run again elsewhere, from the start. The workers that take
 * calls are also written to {@code lf:placeable}, where admission finds a free slot without waiting for
 * the dispatcher.
 */
public final class WorkerDirectory implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerDirectory.class.getName());

    private final RedisAPI redis;
    private final Map<String, WorkerInfo> registry;
    private final long silenceMs;
    private static final RedisScript PLACEABLE = RedisScript.resource(WorkerDirectory.class, "placeable.lua");

    private final AtomicLong requeued = new AtomicLong();
    private Map<String, String> written; // the placeable set last written to Redis; null: not yet
    private volatile Map<String, WorkerInfo> live = Map.of();
    private volatile Runnable onChange = () -> { };
    private volatile long timer = -1;
    private Vertx vertx;
    private java.util.function.BooleanSupplier active = () -> true;

    /**
     * @param registry  where live workers are kept: the Hazelcast map in a cluster, any map in a test
     * @param silenceMs how long without a heartbeat means dead; several heartbeat intervals
     */
    public WorkerDirectory(RedisAPI redis, Map<String, WorkerInfo> registry, long silenceMs) {
        this.redis = redis;
        this.registry = registry;
        this.silenceMs = silenceMs;
    }

    /** Refreshes every {@code periodMs} on {@code vertx}'s event loop until closed. */
    public WorkerDirectory start(Vertx vertx, long periodMs) {
        return start(vertx, periodMs, () -> true);
    }

    /** Refreshes every {@code periodMs} while {@code active} (this member runs the pool) until closed. */
    public WorkerDirectory start(Vertx vertx, long periodMs, java.util.function.BooleanSupplier active) {
        this.vertx = vertx;
        this.active = active;
        timer = vertx.setPeriodic(1, periodMs, t -> {
            if (active.getAsBoolean()) {
                refresh().onFailure(e -> LOG.log(System.Logger.Level.WARNING, "worker directory refresh failed: " + e));
            }
        });
        return this;
    }

    /** A refresh now rather than at the next period (a worker announced a change of state); only while active. */
    public void refreshSoon() {
        if (vertx != null && active.getAsBoolean()) {
            vertx.runOnContext(v -> refresh().onFailure(e -> LOG.log(System.Logger.Level.WARNING, "worker directory refresh failed: " + e)));
        }
    }

    /** Runs after a refresh that found a worker joining, leaving, freeing slots, or calls requeued; the dispatcher's wake. */
    public void onChange(Runnable listener) {
        this.onChange = listener;
    }

    /** Live workers by id, as of the last refresh. */
    public Map<String, WorkerInfo> live() {
        return live;
    }

    /** The live workers that take calls: what the dispatcher places calls on. */
    public List<WorkerInfo> placeable() {
        return live.values().stream().filter(w -> w.state().takesCalls()).toList();
    }

    /** Calls handed back to their queues from dead workers so far. */
    public long requeued() {
        return requeued.get();
    }

    /** Reads the heartbeats, mirrors the live workers, requeues the calls of dead ones. */
    public Future<Map<String, WorkerInfo>> refresh() {
        Future<Response> infos = redis.hgetall(RedisKeys.WORKERS);
        Future<Response> seen = redis.zrange(List.of(RedisKeys.WORKERS_SEEN, "0", "-1", "WITHSCORES"));
        Future<Response> time = redis.time();
        return Future.all(infos, seen, time).compose(all -> {
            long now = time.result().get(0).toLong() * 1000 + time.result().get(1).toLong() / 1000;
            Map<String, Long> seenAt = new HashMap<>();
            for (int i = 0; i + 1 < seen.result().size(); i += 2) {
                seenAt.put(seen.result().get(i).toString(), (long) Double.parseDouble(seen.result().get(i + 1).toString()));
            }
            Map<String, WorkerInfo> alive = new LinkedHashMap<>();
            List<String> silent = new ArrayList<>();
            Response hash = infos.result();
            for (int i = 0; i + 1 < hash.size(); i += 2) {
                String id = hash.get(i).toString();
                long at = seenAt.getOrDefault(id, 0L);
                if (now - at < silenceMs) {
                    alive.put(id, ContractJson.read(hash.get(i + 1).toString(), WorkerInfo.class).seenAt(at));
                } else {
                    silent.add(id);
                }
            }
            List<Future<Long>> requeues = silent.stream().map(this::requeue).toList();
            return Future.join(new ArrayList<>(requeues)).transform(ignored -> {
                boolean changed = publish(alive) || requeues.stream().anyMatch(f -> f.succeeded() && f.result() > 0);
                if (changed) {
                    onChange.run();
                }
                return writePlaceable().map(alive);
            });
        });
    }

    private Future<Long> requeue(String workerId) {
        return WorkerHeartbeats.requeue(redis, workerId, silenceMs).map(n -> {
            if (n >= 0) {
                requeued.addAndGet(n);
                LOG.log(System.Logger.Level.WARNING, "worker " + workerId + " went silent; " + n + " of its calls went back to their queues");
            }
            return n;
        });
    }

    /** Writes the placeable workers (slots, hot and warm adapters) for admission's placement, when they changed. */
    private Future<Void> writePlaceable() {
        Map<String, String> now = new LinkedHashMap<>();
        placeable().forEach(w -> now.put(w.id(), CallQueues.candidate(w).encode()));
        if (now.equals(written)) {
            return Future.succeededFuture();
        }
        List<String> args = new ArrayList<>();
        now.forEach((id, json) -> {
            args.add(id);
            args.add(json);
        });
        return PLACEABLE.run(redis, List.of(RedisKeys.PLACEABLE), args).onSuccess(r -> written = now).mapEmpty();
    }

    /** Mirrors {@code alive} into the registry; true when the set of workers or their free slots changed. */
    private boolean publish(Map<String, WorkerInfo> alive) {
        Map<String, WorkerInfo> before = live;
        live = Map.copyOf(alive);
        boolean changed = !before.keySet().equals(alive.keySet());
        for (WorkerInfo w : alive.values()) {
            WorkerInfo old = before.get(w.id());
            changed |= old == null || old.state() != w.state() || old.freeSlots() != w.freeSlots()
                    || !old.hotAdapters().equals(w.hotAdapters());
            registry.put(w.id(), w);
        }
        for (String id : before.keySet()) {
            if (!alive.containsKey(id)) {
                registry.remove(id);
            }
        }
        return changed;
    }

    @Override
    public void close() {
        if (vertx != null && timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
