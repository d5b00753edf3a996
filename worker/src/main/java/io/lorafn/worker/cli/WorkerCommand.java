package io.lorafn.worker.cli;

import io.lorafn.storage.cli.ObjectStoreOptions;
import io.lorafn.worker.adapters.AdapterCacheConfig;
import io.lorafn.worker.runtime.WorkerConfig;
import io.lorafn.worker.runtime.WorkerProcess;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Runs one worker process until SIGTERM (it drains first) or until the process it watches dies. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = {"Runs one worker process, serving the calls assigned to its stream lf:w:{id}.",
                "It loads the base model, reports itself to the pool through Redis and batches its calls. SIGTERM drains it: calls in",
                "flight finish (up to --drain-s), the rest are requeued. 'lorafn up' starts workers itself; run this to add workers",
                "on another machine."})
public final class WorkerCommand implements Callable<Integer> {
    @Option(names = "--id", required = true, description = "Worker id, unique in the pool; a restarted worker keeps its id and takes back its calls.")
    String id;

    @Option(names = "--model", required = true, description = "Hugging Face model directory (tokenizer, config; weights unless --image).")
    Path model;

    @Option(names = "--image", description = "Resident weight image to compute on, mapped and shared with the node's other workers.")
    Path image;

    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--slots", defaultValue = "8", description = "Batch slots: calls run at once (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--redis-url", description = "Redis to take calls from (default: $LORAFN_REDIS_URL, else redis://127.0.0.1:6379).")
    String redisUrl;

    @Mixin
    ObjectStoreOptions objectStore;

    @Option(names = "--hot-mb", defaultValue = "1024", description = "Hot adapter tier budget in MiB (default: ${DEFAULT-VALUE}).")
    long hotMb;

    @Option(names = "--warm-mb", defaultValue = "2048", description = "Warm adapter tier budget in MiB (default: ${DEFAULT-VALUE}).")
    long warmMb;

    @Option(names = "--node", description = "Name of this machine in the pool (default: $LORAFN_NODE, else the host name).")
    String node;

    @Option(names = "--parent-pid", defaultValue = "0", description = "Exit when this process dies; 0 watches none (default: ${DEFAULT-VALUE}).")
    long parentPid;

    @Option(names = "--heartbeat-ms", defaultValue = "500", description = "Heartbeat interval (default: ${DEFAULT-VALUE}).")
    long heartbeatMs;

    @Option(names = "--drain-s", defaultValue = "30", description = "On SIGTERM, seconds calls in flight may take to finish (default: ${DEFAULT-VALUE}).")
    long drainSeconds;

    @Option(names = "--spawned-at-ms", defaultValue = "0", description = "When the node agent started this process, epoch ms; "
            + "the restore time is counted from it (default: the JVM's start).")
    long spawnedAtMs;

    @Option(names = "--warmup-rounds", defaultValue = "2", description = "Dummy generations before reporting WARM, for the JIT "
            + "(default: ${DEFAULT-VALUE}).")
    int warmupRounds;

    @Option(names = "--background-warmup", description = "Compile the kernels on a tiny model while restoring, without delaying WARM "
            + "(off by default: on 2 cores it slowed the mapping and the adapter's load as much as it sped the first prefill).")
    boolean backgroundWarmup;

    @Option(names = "--prefetch", split = ",", description = "Adapters (tenant/name/version) to load while restoring: the node agent "
            + "passes those of the calls that are waiting for this worker.")
    java.util.List<String> prefetch;

    @Option(names = "--model-from-s3", description = "The naive cold start, for comparison: download the model's files from this "
            + "object-store prefix into --model, then convert them (--convert-to) before serving.")
    String modelObjects;

    @Option(names = "--convert-to", defaultValue = "q8_0", description = "With --model-from-s3: the image format to convert to (default: ${DEFAULT-VALUE}).")
    String convertTo;

    @Option(names = "--backend", defaultValue = "auto", description = "auto (CUDA where a device is, else the CPU, with a log line), cpu or cuda "
            + "(default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--train-snapshot", description = "Load the model, warm up, and exit without serving: the training run that "
            + "writes a JDK AOT cache (run with -XX:AOTCacheOutput=FILE), or checkpoints on a CRaC JDK with --checkpoint.")
    boolean trainSnapshot;

    @Option(names = "--checkpoint", description = "With --train-snapshot on a CRaC JDK: checkpoint after the warm-up (java -XX:CRaCCheckpointTo=DIR).")
    boolean checkpoint;

    @Override
    public Integer call() throws Exception {
        if (trainSnapshot) {
            return SnapshotTraining.run(model, image, threads, Math.max(1, warmupRounds) * 4, checkpoint);
        }
        io.lorafn.storage.peft.LoraDtype.configured(); // a bad LORAFN_LORA_DTYPE stops the worker here, not each adapter load
        WorkerConfig config = new WorkerConfig(id, nodeName(), model, image, threads, slots, redisUrl(), objectStore.config(),
                new AdapterCacheConfig(hotMb << 20, warmMb << 20, 2), parentPid, heartbeatMs, drainSeconds * 1000,
                spawnedAtMs, warmupRounds, backgroundWarmup, prefetch, modelObjects, convertTo, backend);
        if (parentPid > 0) {
            // the owner died (even by kill -9): nothing is left to serve, and no orphan may stay behind
            ProcessHandle.of(parentPid).ifPresentOrElse(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)),
                    () -> Runtime.getRuntime().halt(3));
        }
        WorkerProcess worker = WorkerProcess.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "lorafn-worker-drain"));
        System.err.println("worker " + id + " ready: " + worker.info().slots() + " slots, pid " + ProcessHandle.current().pid());
        stopped.await();
        return 0;
    }

    private String redisUrl() {
        if (redisUrl != null) {
            return redisUrl;
        }
        String env = System.getenv("LORAFN_REDIS_URL");
        return env != null && !env.isBlank() ? env : "redis://127.0.0.1:6379";
    }

    private String nodeName() throws Exception {
        if (node != null) {
            return node;
        }
        String env = System.getenv("LORAFN_NODE");
        return env != null && !env.isBlank() ? env : InetAddress.getLocalHost().getHostName();
    }
}
