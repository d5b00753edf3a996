package io.lorafn.infra.stack;

import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import io.lorafn.infra.snapshot.Snapshot;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.storage.s3.ObjectStoreConfig;
import picocli.CommandLine.Option;

/** {@code lorafn up}: the whole stack on this machine, with a demo model and tenants on first run. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Starts the whole stack on this machine and serves until Ctrl-C.",
                "It runs redis-server (or uses LORAFN_REDIS_URL), the embedded S3 server (or LORAFN_S3_ENDPOINT), a Hazelcast member",
                "with the worker registry, the pool manager, the invoker, and worker processes as the autoscaler decides. Ctrl-C",
                "(SIGTERM) drains the workers and stops everything."})
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "lorafn-data", description = "Data directory: objects, Redis, the demo model (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--model", description = "A Hugging Face model directory (default: a demo model, synth --preset small, made on first run).")
    Path model;

    @Option(names = "--port", defaultValue = "8080", description = "HTTP port of the invoker (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--slots", defaultValue = "8", description = "Batch slots of each worker (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--min-warm", defaultValue = "1", description = "Workers kept warm with no traffic; 0 scales to zero (default: ${DEFAULT-VALUE}).")
    int minWarm;

    @Option(names = "--max-workers", defaultValue = "2", description = "The most worker processes (default: ${DEFAULT-VALUE}).")
    int maxWorkers;

    @Option(names = "--prewarm", defaultValue = "0", description = "Warm workers kept beyond the traffic's need while there is traffic (default: ${DEFAULT-VALUE}).")
    int prewarm;

    @Option(names = "--idle-timeout-s", defaultValue = "60", description = "Seconds the need must stay lower before workers stop, to zero included (default: ${DEFAULT-VALUE}).")
    double idleTimeoutS;

    @Option(names = "--target-concurrency", defaultValue = "8", description = "Calls in flight or waiting per worker the autoscaler aims at (default: ${DEFAULT-VALUE}).")
    double targetConcurrency;

    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads per worker; 0 shares the cores among the workers (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--backend", defaultValue = "auto", description = "What the workers compute on: auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--image", description = "A resident weight image of the model (lorafn image build) for the workers to map and share.")
    Path image;

    @Option(names = "--snapshot", description = "Restore workers from this snapshot (lorafn snapshot build): its image and JDK AOT cache.")
    Path snapshot;

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(data);
        Snapshot restoreFrom = snapshot != null ? Snapshot.read(snapshot) : null;
        Path modelDir = model != null ? model : restoreFrom != null ? restoreFrom.model() : data.resolve("models/demo");
        if (model == null && !Files.exists(modelDir.resolve("config.json"))) {
            System.err.println("creating the demo model (synth --preset small) in " + modelDir);
            SyntheticModel.write(modelDir, ModelPreset.named("small"), DType.F32, 7, 0, new ConsoleProgressBar());
        }
        String operatorKey = System.getenv("LORAFN_ADMIN_KEY");
        boolean generated = operatorKey == null || operatorKey.isBlank();
        if (generated) {
            byte[] b = new byte[24];
            new SecureRandom().nextBytes(b);
            operatorKey = "op_" + HexFormat.of().formatHex(b);
        }
        LocalStack stack = LocalStack.builder(modelDir, data.resolve("state")).backend(backend).port(port).workerSlots(slots)
                .pool(new PoolConfig(minWarm, maxWorkers, prewarm, idleTimeoutS, targetConcurrency))
                .threads(threads).image(image).snapshot(restoreFrom)
                .redisUrl(System.getenv("LORAFN_REDIS_URL"))
                .objectStore(ObjectStoreConfig.resolve(System.getenv(), null, null, null, null, null, data.resolve("state"))).operatorKey(operatorKey)
                .persistent(true).start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { // Ctrl-C or SIGTERM: everything started stops
            stack.close();
            stopped.countDown();
        }, "lorafn-up-shutdown"));
        Map<String, String> keys = DemoTenants.seed(stack, modelDir, data.resolve("demo-adapters"));
        String base = "http://127.0.0.1:" + stack.port();
        System.out.println("lorafn is up on " + base + " (model " + modelDir + ")");
        System.out.println(generated ? "operator key (generated; set LORAFN_ADMIN_KEY to choose one): " + operatorKey
                : "operator key: from LORAFN_ADMIN_KEY");
        keys.forEach((tenant, key) -> System.out.println("tenant " + tenant + " key: " + key));
        String acme = keys.get("acme");
        System.out.println();
        System.out.println("# call acme's function 'support':");
        System.out.println("curl -s " + base + "/v1/functions/support/invocations -H 'Authorization: Bearer " + acme
                + "' -d '{\"prompt\": \"How do I reset my password?\", \"max_tokens\": 32}'");
        System.out.println("# stream it as Server-Sent Events:");
        System.out.println("curl -sN " + base + "/v1/functions/support/invocations -H 'Authorization: Bearer " + acme
                + "' -d '{\"prompt\": \"Hello\", \"max_tokens\": 32, \"stream\": true}'");
        System.out.println("# acme's usage today:");
        System.out.println("curl -s '" + base + "/v1/usage?from=" + java.time.LocalDate.now(java.time.ZoneOffset.UTC) + "&to="
                + java.time.LocalDate.now(java.time.ZoneOffset.UTC) + "' -H 'Authorization: Bearer " + acme + "'");
        System.out.println("# Prometheus metrics:  curl -s " + base + "/metrics");
        System.out.println("# the warm pool, and scale it to zero after 5 idle seconds:");
        System.out.println("./lorafn pool get --url " + base + "    # with LORAFN_ADMIN_KEY set to the operator key");
        System.out.println("./lorafn pool set --url " + base + " min_warm=0 idle_timeout_s=5");
        System.out.flush();
        stopped.await();
        return 0;
    }
}
