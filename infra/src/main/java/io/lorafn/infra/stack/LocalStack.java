package io.lorafn.infra.stack;

import io.lorafn.infra.snapshot.Snapshot;
import io.lorafn.invoker.billing.PriceSheet;
import io.lorafn.invoker.chat.ChatTemplate;
import io.lorafn.invoker.http.InvokerConfig;
import io.lorafn.invoker.http.InvokerVerticle;
import io.lorafn.invoker.http.RegistryVersions;
import io.lorafn.invoker.limits.PromptLimit;
import io.lorafn.pool.cluster.ClusterMember;
import io.lorafn.pool.contract.AdapterErasure;
import io.lorafn.pool.cluster.ClusterPoolControl;
import io.lorafn.pool.cluster.PoolManager;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.pool.node.ClusterWorkers;
import io.lorafn.pool.node.NodeAgent;
import io.lorafn.pool.node.WorkerProcesses;
import io.lorafn.pool.queue.ErasureFeed;
import io.lorafn.pool.redis.RedisClients;
import io.lorafn.pool.redis.RedisServerProcess;
import io.lorafn.pool.workers.WorkerDirectory;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole stack on one machine: a redis-server, the object store (embedded S3 unless configured), a
 * Hazelcast member holding the worker registry and the pool's knobs, the pool manager (worker directory,
 * dispatcher, autoscaler), the invoker, and the node agent's worker processes, each its own JVM, started,
 * restarted and stopped by {@link WorkerProcesses} as the autoscaler decides.
 * What `./lorafn up` runs and what the invoker benchmark measures. Closing it stops everything it
 * started; the workers and redis-server also stop by themselves if this process is killed.
 */
public final class LocalStack implements AutoCloseable {
    public static final PriceSheet DEFAULT_PRICES = new PriceSheet(new BigDecimal("0.0002"), new BigDecimal("0.0006"), new BigDecimal("0.00005"));
    /** A worker silent this long is dead: its calls go back to their queues. Several heartbeats. */
    static final long WORKER_SILENCE_MS = 2_000;

    private final RedisServerProcess redisServer; // null when an external Redis is used
    private final String redisUrl;
    private final Vertx vertx;
    private final RedisAPI redis;
    private final ObjectStore store;
    private final AdapterRegistry registry;
    private final ClusterMember cluster;
    private final ClusterPoolControl poolControl;
    private final PoolManager manager;
    private final InvokerVerticle invoker;
    private final WorkerProcesses workers;
    private final DeviceHolders holders;
    private final NodeAgent agent;
    private final Path modelDir;

    private LocalStack(Builder b) throws Exception {
        modelDir = b.modelDir;
        if (b.snapshot != null && b.snapshot.aotCache() != null && b.snapshot.usableAotCache() == null) {
            System.getLogger(LocalStack.class.getName()).log(System.Logger.Level.WARNING, "the snapshot's AOT cache was trained on "
                    + "another build of lorafn or another JDK; workers start without it (rebuild it with 'lorafn snapshot build')");
        }
        redisServer = b.redisUrl == null ? RedisServerProcess.start(b.dataDir.resolve("redis"), ProcessHandle.current().pid(), b.persistent)
                : null;
        redisUrl = redisServer != null ? redisServer.url() : b.redisUrl;
        vertx = Vertx.vertx();
        redis = RedisClients.api(vertx, redisUrl);
        store = ObjectStore.open(b.objectStore != null ? b.objectStore : ObjectStoreConfig.embedded(b.dataDir));
        registry = AdapterRegistry.forModel(store, b.modelDir, b.snapshot != null ? b.snapshot.image() : b.image);
        ErasureFeed erasures = new ErasureFeed(redis);
        registry.onErase(a -> erasures.publish(new AdapterErasure(a.tenant(), a.name())));
        ClusterMember.Settings member = b.cluster != null ? b.cluster : ClusterMember.Settings.local(b.clusterName);
        cluster = ClusterMember.start(b.agent ? member.withAgent(b.node, b.agentCapacity) : member);
        poolControl = new ClusterPoolControl(cluster, b.pool());
        if (b.pool != null) {
            poolControl.set(b.pool); // knobs given for this stack win over what an earlier run left in the cluster
        }
        Map<String, String> env = new HashMap<>(store.environmentForOtherProcesses());
        env.put("LORAFN_REDIS_URL", redisUrl);
        holders = deviceHolders(b, env);
        workers = b.agent ? new WorkerProcesses(id -> workerCommand(b, id, redisUrl, env), env, b.dataDir.resolve("logs"), 30_000) : null;
        agent = b.agent ? new NodeAgent(cluster, b.node, workers) : null;
        // the autoscaler (on whichever member is the oldest) orders workers from the node agents of the whole cluster
        manager = new PoolManager(vertx, redis, cluster, poolControl, new ClusterWorkers(cluster), WORKER_SILENCE_MS, redisUrl);
        // each invoker reads the replies of its own calls from lf:reply:{id}: members of one cluster must not share an id
        String invokerId = "invoker-" + ProcessHandle.current().pid() + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        invoker = new InvokerVerticle(new InvokerConfig(invokerId, b.operatorKey, 1000, 120_000, promptLimit(b.modelDir), DEFAULT_PRICES,
                ChatTemplate.load(b.modelDir).orElse(null)), redis, new RegistryVersions(vertx, registry, Duration.ofSeconds(1)), registry, b.port)
                .pool(poolControl);
        invoker.onEnqueued(manager::wake); // the pool manager runs in this process
        vertx.deployVerticle(invoker).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        if (b.agent && cluster.agentNodes().size() == 1) { // the only machine: it holds the whole warm floor
            awaitWorkers(poolControl.config().minWarm(), b.dataDir.resolve("logs"));
        }
    }

    /**
     * On a node agent whose machine has CUDA devices and whose workers may use them: one device holder per
     * device for the served image, started (and its handle awaited) before any worker, so every worker
     * opens the shared copy. None on the CPU, for the naive baseline, or without an image.
     */
    private static DeviceHolders deviceHolders(Builder b, Map<String, String> env) throws InterruptedException {
        Path served = b.naiveModelObjects != null ? null : b.snapshot != null ? b.snapshot.image() : b.image;
        int devices = b.agent && served != null && !b.backend.equals("cpu") ? io.lorafn.kernels.Backends.cudaDeviceCount() : 0;
        if (devices == 0) {
            return null;
        }
        DeviceHolders holders = new DeviceHolders(served, devices, d -> DeviceHolders.command(served, d), env, b.dataDir.resolve("logs"));
        holders.awaitHandles(120_000);
        return holders;
    }

    /** Prompts may fill the model's context but for one generated token, counted with its own tokenizer. */
    private static PromptLimit promptLimit(Path modelDir) {
        ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
        Path tokenizer = modelDir.resolve("tokenizer.json");
        return new PromptLimit(Files.exists(tokenizer) ? Tokenizer.load(tokenizer) : null, config.maxPositionEmbeddings() - 1);
    }

    /**
     * The command line of one worker: the worker subcommand with this stack's settings; restored from the
     * snapshot (its image and AOT cache) when the stack has one.
     */
    private static List<String> workerCommand(Builder b, String id, String redisUrl, Map<String, String> env) {
        List<String> jvm = new ArrayList<>();
        Path image = b.image;
        Path model = b.modelDir;
        List<String> naive = List.of();
        if (b.naiveModelObjects != null) { // the baseline: the worker fetches and converts the model itself
            image = null;
            model = b.dataDir.resolve("naive").resolve(id);
            naive = List.of("--model-from-s3", b.naiveModelObjects);
        } else if (b.snapshot != null) {
            image = b.snapshot.image();
            if (b.snapshot.usableAotCache() != null) {
                jvm.addAll(List.of("-XX:AOTCache=" + b.snapshot.usableAotCache(), "-Xlog:aot=error", "-Xlog:cds=error"));
            }
        }
        List<String> args = new ArrayList<>(List.of("--id", id, "--node", b.node, "--model", model.toString(), "--threads",
                Integer.toString(b.workerThreads()), "--slots", Integer.toString(b.workerSlots), "--parent-pid",
                Long.toString(ProcessHandle.current().pid()), "--data", b.dataDir.toString(), "--heartbeat-ms", "250", "--spawned-at-ms",
                Long.toString(System.currentTimeMillis())));
        if (image != null) {
            args.addAll(List.of("--image", image.toString()));
        }
        args.addAll(List.of("--warmup-rounds", Integer.toString(b.warmupRounds), "--backend", b.backend));
        args.addAll(naive);
        Path checkpoint = b.naiveModelObjects == null && b.snapshot != null ? b.snapshot.usableCheckpoint() : null;
        if (checkpoint != null) { // a restored process keeps the checkpoint's environment: endpoints go as options
            args.addAll(List.of("--redis-url", redisUrl, "--s3-endpoint", env.get("LORAFN_S3_ENDPOINT"), "--s3-access-key",
                    env.get("LORAFN_S3_ACCESS_KEY"), "--s3-secret-key", env.get("LORAFN_S3_SECRET_KEY"), "--s3-bucket",
                    env.get("LORAFN_S3_BUCKET"), "--s3-region", env.get("LORAFN_S3_REGION")));
            return WorkerLaunch.restoreCommand(checkpoint, args);
        }
        return WorkerLaunch.command(b.workerHeapMb, jvm, args);
    }

    /** Waits until {@code count} workers take calls: the warm floor, before the stack reports ready. */
    private void awaitWorkers(int count, Path logs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 180_000;
        while (manager.directory().placeable().size() < count) {
            if (System.currentTimeMillis() > deadline) {
                close();
                throw new IllegalStateException("the workers did not become ready within 180 s; see their logs in " + logs);
            }
            Thread.sleep(50);
        }
    }

    public static Builder builder(Path modelDir, Path dataDir) {
        return new Builder(modelDir, dataDir);
    }

    /** The Redis this stack uses: its own redis-server's, or the external one it was given. */
    public String redisUrl() {
        return redisUrl;
    }

    public int port() {
        return invoker.actualPort();
    }

    public Path modelDir() {
        return modelDir;
    }

    /** The object store the stack and its workers share. */
    public ObjectStore store() {
        return store;
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

    /** The worker processes, to find or kill one. */
    public WorkerProcesses workers() {
        return workers;
    }

    /** The pool manager's view of the workers, as mirrored into the cluster's map. */
    public WorkerDirectory directory() {
        return manager.directory();
    }

    public PoolManager manager() {
        return manager;
    }

    /** The pool's knobs, as the operator's API reads and changes them. */
    public ClusterPoolControl pool() {
        return poolControl;
    }

    public ClusterMember cluster() {
        return cluster;
    }

    @Override
    public void close() {
        manager.close(); // no more scaling decisions while the workers go
        if (agent != null) {
            agent.close();
        }
        if (workers != null) {
            workers.close(); // while Redis is up: they drain and leave the pool
        }
        if (holders != null) {
            holders.close(); // after the workers: none is computing on the shared copy any more
        }
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // closing anyway
        }
        cluster.close();
        store.close();
        if (redisServer != null) {
            redisServer.close();
        }
    }

    /** Settings of a local stack. */
    public static final class Builder {
        private final Path modelDir;
        private final Path dataDir;
        private Path image;
        private Snapshot snapshot;
        private String naiveModelObjects;
        private String redisUrl;
        private boolean agent = true;
        private String node = "local";
        private int agentCapacity = Integer.MAX_VALUE;
        private int warmupRounds = 0;
        private ClusterMember.Settings cluster;
        private ObjectStoreConfig objectStore;
        private int threads = 0;
        private int port = 0;
        private PoolConfig pool; // null: keep the cluster's knobs (a member joining a running pool), else one fixed worker
        private int workerSlots = 8;
        private int workerHeapMb = 1024;
        private String backend = "auto";
        private String clusterName = "lorafn";
        private String operatorKey = "local-operator-key";
        private boolean persistent;

        private Builder(Path modelDir, Path dataDir) {
            this.modelDir = modelDir;
            this.dataDir = dataDir;
        }

        /**
         * No node agent on this member: its workers run on other members' nodes (their agents take the pool
         * manager's orders), or are started by someone else ('lorafn worker'); the pool manager tracks and
         * dispatches to every worker either way.
         */
        public Builder workersElsewhere() {
            this.agent = false;
            return this;
        }

        /**
         * This machine's name, which its node agent runs workers under (worker ids are {@code {node}-w{n}}), and
         * the most workers the agent runs at once (default: no limit but the pool's max_workers).
         */
        public Builder node(String name, int capacity) {
            this.node = name;
            this.agentCapacity = capacity;
            return this;
        }

        /** Warm-up rounds each worker runs before it reports WARM (default 0: measured, a warm-up costs the first call more than it saves; see RESULTS.md). */
        public Builder warmupRounds(int rounds) {
            this.warmupRounds = rounds;
            return this;
        }

        /** How this member finds the cluster (default: loopback, named by {@link #clusterName}). */
        public Builder cluster(ClusterMember.Settings settings) {
            this.cluster = settings;
            return this;
        }

        /** An external Redis instead of starting a redis-server (null: start one). */
        public Builder redisUrl(String url) {
            this.redisUrl = url == null || url.isBlank() ? null : url;
            return this;
        }

        /** The object store (null: the embedded S3 server under the data directory). */
        public Builder objectStore(ObjectStoreConfig config) {
            this.objectStore = config;
            return this;
        }

        /** Workers restore from this snapshot: its resident image, and its AOT cache when there is one. */
        public Builder snapshot(Snapshot snapshot) {
            this.snapshot = snapshot;
            return this;
        }

        /**
         * The naive cold start, as the baseline of the cold-start benchmark: each worker downloads the model's
         * files from this object-store prefix and converts them before it serves.
         */
        public Builder naive(String modelObjects) {
            this.naiveModelObjects = modelObjects;
            return this;
        }

        public Builder image(Path image) {
            this.image = image;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** A fixed pool of {@code count} workers: {@code min_warm = max_workers = count}. */
        public Builder workers(int count) {
            return pool(new PoolConfig(count, count, 0, 60, 8));
        }

        /**
         * The pool's knobs at start, set in the cluster over whatever is there; the operator may change them while
         * it runs. Without them a member keeps the cluster's knobs, or starts it with one fixed worker.
         */
        public Builder pool(PoolConfig pool) {
            this.pool = pool;
            return this;
        }

        /** Kernel threads per worker; 0 shares the cores among the workers. */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        PoolConfig pool() {
            return pool != null ? pool : new PoolConfig(1, 1, 0, 60, 8);
        }

        int workerThreads() {
            return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / pool().maxWorkers());
        }

        /** The Hazelcast cluster to form; members of other clusters on the machine are not joined. */
        public Builder clusterName(String name) {
            this.clusterName = name;
            return this;
        }

        /** What the workers compute on: auto (CUDA where a device is, else the CPU), cpu or cuda. */
        public Builder backend(String backend) {
            this.backend = backend;
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
