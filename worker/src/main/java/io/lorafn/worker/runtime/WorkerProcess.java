package io.lorafn.worker.runtime;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.pool.contract.RestoreTimings;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.queue.ErasureFeed;
import io.lorafn.pool.queue.ReplyChannel;
import io.lorafn.pool.queue.WorkerStream;
import io.lorafn.pool.redis.SuspendableRedis;
import io.lorafn.pool.workers.WorkerHeartbeats;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.worker.adapters.AdapterCache;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SchedulerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One worker: the engine on the base model, the adapter tiers, the continuous-batching scheduler, and the
 * intake of its stream {@code lf:w:{id}}. It reports itself every heartbeat (state, free slots, hot and
 * warm adapters) and follows adapter erasures. A new process under an id whose previous process died
 * takes back the calls that one left: a consumer name is unique per process, so anything pending at
 * start-up was a dead process's.
 */
public final class WorkerProcess implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerProcess.class.getName());

    private final WorkerConfig config;
    private final Vertx vertx;
    private final RedisAPI redis;
    private final WorkerHeartbeats heartbeats;
    private final ObjectStore store;
    private final LoadedModel model;
    private final AdapterCache adapters;
    private final Scheduler scheduler;
    private final ErasureFollower erasures;
    private final WorkerLoop intake;
    private final CallRunner runner;
    private final RestoreTimings restore;
    private final SuspendableRedis redisClient;
    /** Held here: CRaC contexts may keep their resources only weakly. */
    private final WorkerConnections connections;
    private volatile long heartbeatTimer = -1;
    private volatile WorkerState state = WorkerState.STARTING;

    private WorkerProcess(WorkerConfig config) throws Exception {
        this.config = config;
        long main = System.currentTimeMillis();
        long spawned = config.spawnedAtMs() > 0 ? config.spawnedAtMs() : ManagementFactory.getRuntimeMXBean().getStartTime();
        // Three things proceed at once from the first instant, each mostly class loading on a cold JVM: the object
        // store's client, the model's mapping (tokenizer, image, engine) and, here, Vert.x with the Redis
        // connection. The naive path maps only after its download, which needs the object store first.
        CompletableFuture<ObjectStore> opening = CompletableFuture.supplyAsync(() -> ObjectStore.open(config.objectStore()));
        CompletableFuture<LoadedModel> mapping = config.modelObjects() == null ? startMapping(config, config.image()) : null;
        vertx = Vertx.vertx();
        redisClient = SuspendableRedis.create(vertx, config.redisUrl());
        redis = RedisAPI.api(redisClient);
        heartbeats = new WorkerHeartbeats(redis);
        // STARTING is reported while the rest proceeds
        CompletableFuture<Long> starting = heartbeats.beat(info()).toCompletionStage().toCompletableFuture();
        backgroundWarmup(config);
        try {
            long connected = System.currentTimeMillis();
            Path image = config.image();
            if (config.modelObjects() != null) {
                image = NaiveModelFetch.fetchAndConvert(join(opening), config.modelObjects(), config.modelDir(), config.convertTo());
            }
            long fetched = System.currentTimeMillis();
            // the adapter tiers come up beside the mapping, and the adapters of the calls that made the pool start
            // this worker begin loading at once
            Path served = image;
            CompletableFuture<AdapterCache> tiers = opening.thenApplyAsync(s3 -> {
                AdapterRegistry registry = AdapterRegistry.forModel(s3, config.modelDir(), served);
                AdapterCache cache = new AdapterCache(registry::fetch, ModelConfig.read(config.modelDir().resolve("config.json")),
                        config.adapterCache(), new SimpleMeterRegistry());
                for (String adapter : config.prefetch()) {
                    cache.prefetch(AdapterRef.parse(adapter)).exceptionally(e -> {
                        LOG.log(System.Logger.Level.WARNING, "prefetch of " + adapter + " failed: " + AdapterCache.cause(e));
                        return null;
                    });
                }
                return cache;
            });
            model = mapping != null ? join(mapping) : openModel(config, served);
            starting.get(30, TimeUnit.SECONDS); // Redis answered: the pool knows this worker is coming
            store = join(opening);
            adapters = join(tiers);
            erasures = new ErasureFollower(new ErasureFeed(redis), adapters).start();
            scheduler = new Scheduler(model.engine(), model.tokenizer(), SchedulerConfig.defaults());
            scheduler.start();
            long mapped = System.currentTimeMillis();
            if (config.warmupRounds() > 0) {
                // on a tiny model in the same format: the kernels compile, at a fraction of the served model's cost
                JitWarmup.onTinyModel(model.weightFormat(), config.threads(), config.warmupRounds() * 20);
            }
            long warm = System.currentTimeMillis();
            restore = new RestoreTimings(main - spawned, connected - main, fetched - connected, mapped - fetched, warm - mapped);
            runner = new CallRunner(config.id(), scheduler, model.tokenizer(), adapters, new ReplyChannel(redis));
            runner.restoredAt(warm, restore.totalMs());
            String consumer = config.id() + "-" + ProcessHandle.current().pid();
            intake = new WorkerLoop(new WorkerStream(redis, config.id()), consumer, runner, config.slots(), 30_000).start();
        } catch (Exception | Error e) {
            // the pool sees the failure before the process goes, and the node agent starts another
            state = WorkerState.FAILED;
            heartbeats.beat(info()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            throw e;
        }
        state = WorkerState.WARM;
        FetchRehearsal.start(adapters, intake::inFlight, FetchRehearsal.configuredRounds());
        startHeartbeats();
        connections = new WorkerConnections(redisClient, store, intake::inFlight, this::stopHeartbeats, this::startHeartbeats);
        org.crac.Core.getGlobalContext().register(connections);
        LOG.log(System.Logger.Level.INFO, "worker " + config.id() + " WARM " + restore.totalMs() + " ms after its spawn (" + restore
                + ", " + config.slots() + " slots, model " + config.modelDir() + ")");
    }

    /** Opens the model on a thread of its own, beside the connections. */
    private static CompletableFuture<LoadedModel> startMapping(WorkerConfig config, Path image) {
        CompletableFuture<LoadedModel> mapped = new CompletableFuture<>();
        Thread.ofPlatform().name("lorafn-model-map").daemon().start(() -> {
            try {
                mapped.complete(openModel(config, image));
            } catch (Throwable t) {
                mapped.completeExceptionally(t);
            }
        });
        return mapped;
    }

    private static LoadedModel openModel(WorkerConfig config, Path image) {
        // restored from a CRaC checkpoint, the training run's model is already mapped and warm
        return TrainedModel.take(config.modelDir(), image).orElseGet(() -> LoadedModel.open(config.modelDir(), image, config.threads(), config.backend()));
    }

    /** The result, or the failure itself (a StorageException keeps its code) rather than a CompletionException around it. */
    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /**
     * Compiles the kernels of the served format on a tiny model in the background, while the worker maps its
     * model and connects, without delaying WARM (a blocking warm-up cost the first call more than it saved).
     * Off by default: measured on the 1b preset it cut the first prefill from 1.3 s to 0.7 s but slowed the
     * mapping and the adapter's load by as much, on 2 cores (RESULTS.md).
     */
    private static void backgroundWarmup(WorkerConfig config) {
        if (!config.backgroundWarmup() || (config.image() == null && config.modelObjects() == null)) {
            return;
        }
        Thread.ofPlatform().name("lorafn-jit-warmup").daemon().start(() -> {
            try {
                WeightFormat format;
                if (config.image() != null) {
                    try (ResidentImage image = ResidentImage.open(config.image())) {
                        format = image.weightFormat();
                    }
                } else {
                    format = WeightFormat.valueOf(config.convertTo().toUpperCase(java.util.Locale.ROOT));
                }
                long ms = JitWarmup.onTinyModel(format, 1, 20);
                LOG.log(System.Logger.Level.INFO, "background JIT warm-up on a tiny " + format + " model: " + ms + " ms");
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "background JIT warm-up failed (serving goes on): " + e);
            }
        });
    }

    /** Starts a worker and returns once it is WARM and taking calls. */
    public static WorkerProcess start(WorkerConfig config) throws Exception {
        return new WorkerProcess(config);
    }

    private synchronized void startHeartbeats() {
        if (heartbeatTimer < 0) {
            heartbeatTimer = vertx.setPeriodic(1, config.heartbeatMs(), t -> beat());
        }
    }

    private synchronized void stopHeartbeats() {
        if (heartbeatTimer >= 0) {
            vertx.cancelTimer(heartbeatTimer);
            heartbeatTimer = -1;
        }
    }

    /** The worker's external connections, which close before a CRaC checkpoint and reopen after the restore. */
    org.crac.Resource connections() {
        return connections;
    }

    private void beat() {
        if (state == WorkerState.WARM || state == WorkerState.BUSY) {
            state = intake.inFlight() > 0 ? WorkerState.BUSY : WorkerState.WARM;
        }
        heartbeats.beat(info()).onFailure(e -> LOG.log(System.Logger.Level.WARNING, "heartbeat failed: " + e));
    }

    /** This worker as the pool sees it. */
    public WorkerInfo info() {
        boolean ready = adapters != null && intake != null;
        return new WorkerInfo(config.id(), config.node(), ProcessHandle.current().pid(), state, config.slots(),
                ready ? Math.max(0, config.slots() - intake.inFlight()) : 0,
                ready ? names(adapters.hotAdapters()) : List.of(), ready ? names(adapters.warmAdapters()) : List.of(),
                0, ready ? restore : null);
    }

    private static List<String> names(Collection<AdapterRef> refs) {
        return refs.stream().map(r -> r.tenant() + "/" + r.name() + "/" + r.version()).sorted().toList();
    }

    /**
     * Stops taking calls, lets those in flight finish for up to the drain time, then leaves the pool: any
     * call still unfinished goes back to its tenant's queue and runs elsewhere.
     */
    @Override
    public void close() {
        state = WorkerState.DRAINING;
        stopHeartbeats();
        heartbeats.beat(info());
        intake.close(); // takes no new calls; those in flight run on in the scheduler and are acked as they end
        long deadline = System.currentTimeMillis() + config.drainMs();
        while (intake.inFlight() > 0 && System.currentTimeMillis() < deadline) {
            sleep(20);
        }
        try {
            heartbeats.leave(config.id()).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "could not leave the pool cleanly (" + e + "); it will requeue this worker's calls");
        }
        erasures.close();
        scheduler.close();
        adapters.close();
        model.close();
        store.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // exiting anyway
        }
        state = WorkerState.STOPPED;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
