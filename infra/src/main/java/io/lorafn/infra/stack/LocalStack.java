package io.lorafn.infra.stack;

import io.lorafn.invoker.billing.PriceSheet;
import io.lorafn.invoker.chat.ChatTemplate;
import io.lorafn.invoker.http.InvokerConfig;
import io.lorafn.invoker.http.InvokerVerticle;
import io.lorafn.invoker.http.RegistryVersions;
import io.lorafn.pool.dispatch.Dispatcher;
import io.lorafn.pool.dispatch.DispatcherLoop;
import io.lorafn.pool.queue.ReplyChannel;
import io.lorafn.pool.queue.WorkerStream;
import io.lorafn.pool.redis.RedisClients;
import io.lorafn.pool.redis.RedisServerProcess;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.registry.AdapterRules;
import io.lorafn.storage.registry.AdapterValidator;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.lorafn.worker.adapters.AdapterCache;
import io.lorafn.worker.adapters.AdapterCacheConfig;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.runtime.CallRunner;
import io.lorafn.worker.runtime.WorkerLoop;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SchedulerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole stack on one machine, in this process except Redis: a redis-server, the object store
 * (embedded S3 unless configured), one worker (engine, adapter cache, intake), the dispatcher and the
 * invoker. What `./lorafn up` will run (with the worker as its own process) and what the invoker
 * benchmark measures. Closing it stops everything it started.
 */
public final class LocalStack implements AutoCloseable {
    public static final PriceSheet DEFAULT_PRICES = new PriceSheet(new BigDecimal("0.0002"), new BigDecimal("0.0006"), new BigDecimal("0.00005"));

    private final RedisServerProcess redisServer;
    private final Vertx vertx;
    private final RedisAPI redis;
    private final ObjectStore store;
    private final AdapterRegistry registry;
    private final LoadedModel model;
    private final Scheduler scheduler;
    private final AdapterCache adapters;
    private final WorkerLoop worker;
    private final DispatcherLoop dispatcher;
    private final InvokerVerticle invoker;

    private LocalStack(Builder b) throws Exception {
        redisServer = RedisServerProcess.start(b.dataDir.resolve("redis"), ProcessHandle.current().pid(), b.persistent);
        vertx = Vertx.vertx();
        redis = RedisClients.api(vertx, redisServer.url());
        store = ObjectStore.open(ObjectStoreConfig.embedded(b.dataDir));
        model = LoadedModel.open(b.modelDir, b.image, b.threads);
        try (ModelDirectory m = ModelDirectory.open(b.modelDir)) {
            String baseSha = baseSha(m, b.image);
            registry = new AdapterRegistry(store, new AdapterValidator(m.config(), baseSha, AdapterRules.DEFAULT), AdapterRules.DEFAULT);
            adapters = new AdapterCache(registry::fetch, m.config(), AdapterCacheConfig.DEFAULT, new SimpleMeterRegistry());
            registry.onErase(adapters::evict); // erasure reaches this process's worker; other processes need the broadcast
        }
        scheduler = new Scheduler(model.engine(), model.tokenizer(), SchedulerConfig.defaults());
        scheduler.start();
        worker = new WorkerLoop(new WorkerStream(redis, "local-1"), "local-1", new CallRunner(scheduler, model.tokenizer(), adapters,
                new ReplyChannel(redis)), b.workerSlots, 30_000).start();
        dispatcher = new DispatcherLoop(vertx, new Dispatcher(redis, Map.of("local-1", b.workerSlots), t -> 1), 20).start();
        invoker = new InvokerVerticle(new InvokerConfig("invoker-1", b.operatorKey, 1000, 120_000, 100_000, DEFAULT_PRICES,
                ChatTemplate.load(b.modelDir).orElse(null)), redis, new RegistryVersions(vertx, registry, Duration.ofSeconds(1)), registry, b.port);
        invoker.onEnqueued(dispatcher::wake); // one process here; across processes this becomes a Redis notification
        vertx.deployVerticle(invoker).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /** The served base model's identity: recorded in the image, else hashed from the directory. */
    private static String baseSha(ModelDirectory m, Path image) {
        if (image == null) {
            return ResidentImageWriter.sourceHash(m);
        }
        try (ResidentImage img = ResidentImage.open(image)) {
            return img.sourceSha256();
        }
    }

    public static Builder builder(Path modelDir, Path dataDir) {
        return new Builder(modelDir, dataDir);
    }

    public int port() {
        return invoker.actualPort();
    }

    public AdapterRegistry registry() {
        return registry;
    }

    public RedisAPI redis() {
        return redis;
    }

    public Vertx vertx() {
        return vertx;
    }

    @Override
    public void close() {
        dispatcher.close();
        worker.close();
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        scheduler.close();
        adapters.close();
        model.close();
        store.close();
        redisServer.close();
    }

    /** Settings of a local stack. */
    public static final class Builder {
        private final Path modelDir;
        private final Path dataDir;
        private Path image;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int port = 0;
        private int workerSlots = 8;
        private String operatorKey = "local-operator-key";
        private boolean persistent;

        private Builder(Path modelDir, Path dataDir) {
            this.modelDir = modelDir;
            this.dataDir = dataDir;
        }

        public Builder image(Path image) {
            this.image = image;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder workerSlots(int slots) {
            this.workerSlots = slots;
            return this;
        }

        public Builder operatorKey(String key) {
            this.operatorKey = key;
            return this;
        }

        /** Keeps Redis's data (append-only file) under the data directory across restarts. */
        public Builder persistent(boolean persistent) {
            this.persistent = persistent;
            return this;
        }

        public LocalStack start() throws Exception {
            return new LocalStack(this);
        }
    }
}
