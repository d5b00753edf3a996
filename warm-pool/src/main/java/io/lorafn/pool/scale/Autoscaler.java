package io.lorafn.pool.scale;

import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.redis.RedisScript;
import io.lorafn.pool.workers.WorkerDirectory;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Sizes the pool like Knative's KPA: the workers wanted are the calls in flight or waiting divided by
 * {@code target_concurrency}, plus {@code prewarm} while there is any traffic, never fewer than
 * {@code min_warm} nor more than {@code max_workers}. It scales up at once (a call arriving at an empty
 * pool starts a restore in the same tick) and down only when the need has stayed lower for
 * {@code idle_timeout_s}, stopping idle workers first; they drain before they go. The knobs are read
 * every tick, so a change takes effect without a restart.
 */
public final class Autoscaler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Autoscaler.class.getName());
    private static final RedisScript DEMAND = RedisScript.resource(Autoscaler.class, "demand.lua");

    /** Where the autoscaler's decisions are carried out: the node agent. */
    public interface Workers {
        /** Workers started and not told to stop, the ones still starting included. */
        List<String> ids();

        /** Starts a worker, which loads {@code prefetch} (adapters, tenant/name/version) while it restores. */
        void start(List<String> prefetch);

        /** Drains and stops the worker. */
        void stop(String id);
    }

    private final Vertx vertx;
    private final RedisAPI redis;
    private final WorkerDirectory directory;
    private final PoolControl control;
    private final Workers workers;
    private final BooleanSupplier active;
    private final ScalingPolicy policy = new ScalingPolicy();
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile long timer = -1;
    private volatile int lastWanted = -1;
    private volatile long lastAdmitted = -1;

    /** @param active whether this member runs the pool now (the cluster singleton); ticks do nothing otherwise */
    public Autoscaler(Vertx vertx, RedisAPI redis, WorkerDirectory directory, PoolControl control, Workers workers, BooleanSupplier active) {
        this.vertx = vertx;
        this.redis = redis;
        this.directory = directory;
        this.control = control;
        this.workers = workers;
        this.active = active;
    }

    public Autoscaler start(long tickMs) {
        timer = vertx.setPeriodic(1, tickMs, t -> tick());
        return this;
    }

    /** A tick now: a call just arrived, perhaps at an empty pool. */
    public void wake() {
        vertx.runOnContext(v -> tick());
    }

    /** Workers wanted at the last tick. */
    public int wanted() {
        return lastWanted;
    }

    private void tick() {
        if (!active.getAsBoolean() || !running.compareAndSet(false, true)) {
            return;
        }
        List<String> args = new ArrayList<>(List.of(RedisKeys.queue(""), RedisKeys.workerStream("")));
        args.addAll(workers.ids());
        DEMAND.run(redis, List.of(CallQueues.ACTIVE, RedisKeys.ADMITTED), args)
                .compose(r -> vertx.executeBlocking(() -> { // the config lives in the cluster: a blocking read
                    List<String> waitingAdapters = new ArrayList<>();
                    for (int i = 3; i < r.size(); i++) {
                        waitingAdapters.add(r.get(i).toString());
                    }
                    long admitted = r.get(2).toLong();
                    boolean arrived = lastAdmitted >= 0 && admitted > lastAdmitted;
                    lastAdmitted = admitted;
                    scale(control.config(), ScalingPolicy.demand(r.get(0).toLong() + r.get(1).toLong(), arrived), waitingAdapters);
                    return null;
                }, false))
                .onComplete(ar -> {
                    running.set(false);
                    if (ar.failed()) {
                        LOG.log(System.Logger.Level.WARNING, "autoscaler tick failed: " + ar.cause());
                    }
                });
    }

    private synchronized void scale(PoolConfig config, long demand, List<String> waitingAdapters) {
        int want = ScalingPolicy.wanted(config, demand);
        // scale down only to the most wanted over the grace period; above max_workers at once
        int keep = policy.keep(config, System.currentTimeMillis(), want);
        List<String> ids = workers.ids();
        lastWanted = want;
        if (want > ids.size()) {
            for (int i = ids.size(); i < want; i++) {
                workers.start(waitingAdapters);
            }
            LOG.log(System.Logger.Level.INFO, "scaling up to " + want + " workers (demand " + demand + ")");
        } else if (keep < ids.size()) {
            List<String> byIdleness = new ArrayList<>(ids);
            // idle workers first (all slots free), then the newest: they hold the fewest hot adapters
            byIdleness.sort(Comparator.comparing((String id) -> !idle(id)).thenComparing(Comparator.reverseOrder()));
            for (String id : byIdleness.subList(0, ids.size() - keep)) {
                workers.stop(id);
            }
            LOG.log(System.Logger.Level.INFO, "scaling down to " + keep + " workers (demand " + demand + ")");
        }
    }

    private boolean idle(String id) {
        WorkerInfo w = directory.live().get(id);
        return w != null && w.freeSlots() == w.slots();
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
