package io.lorafn.infra.stack;

import io.lorafn.bench.Stats;
import io.lorafn.bench.sim.TraceExport;
import io.lorafn.bench.sim.TraceFile;
import io.lorafn.bench.workload.CostModel;
import io.lorafn.bench.workload.Distribution;
import io.lorafn.bench.workload.PoolSample;
import io.lorafn.bench.workload.WorkloadCharts;
import io.lorafn.bench.workload.WorkloadPlan;
import io.lorafn.bench.workload.WorkloadReport;
import io.lorafn.infra.snapshot.Snapshot;
import io.lorafn.infra.snapshot.SnapshotCommand;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.storage.cli.ImageCommand;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.bench.BenchModel;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorafn bench workload}: an open-loop, seeded workload on a local stack, with its report, charts, costs and trace. */
@Command(name = "workload", mixinStandardHelpOptions = true, description = {
        "Runs an open-loop workload on a local stack restored from a snapshot: Poisson arrivals at --rate for --duration-s, tenants",
        "drawn from a Zipf distribution over --tenants (each with its own adapter), prompt and output lengths from their",
        "distributions, all fixed by --seed. Writes results.json, report.md, the latency CDF, hit rates and pool size charts, and",
        "the run's trace (trace.jsonl, for 'lorafn pool simulate') into --out."})
public final class WorkloadBenchCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model directory (the 1b preset for published numbers).")
    Path model;

    @Option(names = "--format", defaultValue = "q8_0", description = "Weight format of the snapshot's image (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--rate", defaultValue = "1", description = "Calls a second, Poisson (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration-s", defaultValue = "120", description = "How long calls arrive (default: ${DEFAULT-VALUE}).")
    double durationS;

    @Option(names = "--tenants", defaultValue = "200", description = "Tenants, each with its own adapter (default: ${DEFAULT-VALUE}).")
    int tenants;

    @Option(names = "--zipf", defaultValue = "1.1", description = "Zipf exponent of tenant popularity (default: ${DEFAULT-VALUE}).")
    double zipf;

    @Option(names = "--prompt-tokens", defaultValue = "lognormal:48:0.5", description = "Prompt lengths (default: ${DEFAULT-VALUE}).")
    String promptTokens;

    @Option(names = "--output-tokens", defaultValue = "lognormal:16:0.5", description = "Output lengths (default: ${DEFAULT-VALUE}).")
    String outputTokens;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the workload (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rank", defaultValue = "8", description = "Rank of the tenants' adapters (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--targets", split = ",", defaultValue = "q_proj,v_proj", description = "Projections the adapters adapt (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--min-warm", defaultValue = "1", description = "Pool knob (default: ${DEFAULT-VALUE}).")
    int minWarm;

    @Option(names = "--max-workers", defaultValue = "2", description = "Pool knob (default: ${DEFAULT-VALUE}).")
    int maxWorkers;

    @Option(names = "--prewarm", defaultValue = "0", description = "Pool knob (default: ${DEFAULT-VALUE}).")
    int prewarm;

    @Option(names = "--idle-timeout-s", defaultValue = "30", description = "Pool knob (default: ${DEFAULT-VALUE}).")
    double idleTimeoutS;

    @Option(names = "--target-concurrency", defaultValue = "8", description = "Pool knob (default: ${DEFAULT-VALUE}).")
    double targetConcurrency;

    @Option(names = "--slots", defaultValue = "8", description = "Batch slots per worker (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--price-per-gib-hour", defaultValue = "0.005", description = "USD per GiB-hour of memory, for the cost models (default: ${DEFAULT-VALUE}).")
    double pricePerGiBHour;

    @Option(names = "--out", defaultValue = "workload-results", description = "Directory for the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--backend", defaultValue = "auto", description = "What the workers compute on: auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--url", description = "Run against this running stack's invoker instead of starting one (the pool knobs are then its own).")
    URI url;

    @Option(names = "--admin-key", description = "With --url: the operator key (default: $LORAFN_ADMIN_KEY).")
    String adminKey;

    @Option(names = "--redis-url", description = "With --url: the stack's Redis, for the calls' records (default: $LORAFN_REDIS_URL).")
    String redisUrl;

    @Option(names = "--image", description = "With --url: the image the workers map, for the cost models (its size).")
    Path image;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Override
    public Integer call() throws Exception {
        WorkloadPlan plan = WorkloadPlan.generate(rate, durationS, tenants, zipf, Distribution.parse(promptTokens), Distribution.parse(outputTokens), seed);
        List<Projection> projections = io.lorafn.storage.cli.SynthCommand.parseTargets(targets);
        List<Integer> used = plan.calls().stream().map(WorkloadPlan.PlannedCall::tenant).distinct().sorted().toList();
        Map<Integer, Path> adapters = new TreeMap<>();
        ConsoleProgressBar progress = new ConsoleProgressBar();
        progress.start("adapters", used.size());
        for (int t : used) {
            adapters.put(t, BenchModel.adapter(model, rank, projections, DType.F32, 1000 + t));
            progress.advance(1);
        }
        progress.done();
        Tokenizer tokenizer = Tokenizer.load(model.resolve("tokenizer.json"));
        int[] text = tokenizer.encode(TEXT.repeat(40), false);
        if (url != null) {
            String key = adminKey != null ? adminKey : System.getenv("LORAFN_ADMIN_KEY");
            String redis = redisUrl != null ? redisUrl : System.getenv("LORAFN_REDIS_URL");
            if (key == null || redis == null) {
                throw new IllegalArgumentException("--url needs the operator key (--admin-key or LORAFN_ADMIN_KEY) and the stack's Redis "
                        + "(--redis-url or LORAFN_REDIS_URL)");
            }
            try (WorkloadTarget target = new RemoteWorkloadTarget(url, key, redis, image)) {
                return run(target, plan, used, adapters, tokenizer, text, "run-" + Long.toString(System.currentTimeMillis(), 36) + "-");
            }
        }
        WeightFormat weights = ImageCommand.parse(format);
        Path snapDir = model.resolve(".lorafn-bench").resolve("snapshot-" + format.toLowerCase(Locale.ROOT));
        Snapshot snapshot = Files.exists(snapDir.resolve(Snapshot.FILE)) ? Snapshot.read(snapDir) : null;
        if (snapshot == null || snapshot.usableAotCache() == null) {
            snapshot = SnapshotCommand.build(model, weights, snapDir, 0, false);
        }
        Path data = Files.createTempDirectory("lorafn-bench-workload");
        try (WorkloadTarget target = new LocalWorkloadTarget(LocalStack.builder(model, data).backend(backend).snapshot(snapshot).workerSlots(slots)
                .pool(new PoolConfig(minWarm, maxWorkers, prewarm, idleTimeoutS, targetConcurrency))
                .clusterName("lorafn-bench-workload-" + ProcessHandle.current().pid()).start(), snapshot.image())) {
            return run(target, plan, used, adapters, tokenizer, text, "t");
        } finally {
            try (Stream<Path> all = Files.walk(data)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private int run(WorkloadTarget target, WorkloadPlan plan, List<Integer> used, Map<Integer, Path> adapters, Tokenizer tokenizer, int[] text,
                    String tenantPrefix) throws Exception {
        Files.createDirectories(out);
        Map<Integer, String> keys = new TreeMap<>();
        ConsoleProgressBar progress = new ConsoleProgressBar();
        progress.start("tenants", used.size());
        for (int t : used) {
            keys.put(t, target.createTenant(tenantPrefix + t, adapters.get(t)));
            progress.advance(1);
        }
        progress.done();
        List<PoolSample> samples = new ArrayList<>();
        Map<String, Long> restoreMs = new ConcurrentHashMap<>();
        Map<Integer, Integer> refused = new ConcurrentHashMap<>();
        ScheduledExecutorService clock = Executors.newScheduledThreadPool(2);
        long startedAt = System.currentTimeMillis();
        clock.scheduleAtFixedRate(() -> {
            try {
                PoolSample sample = target.sample(restoreMs);
                synchronized (samples) {
                    samples.add(sample);
                }
            } catch (Exception e) {
                System.err.println("pool sample failed: " + e);
            }
        }, 0, 500, TimeUnit.MILLISECONDS);
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        progress.start("workload calls", plan.calls().size());
        for (WorkloadPlan.PlannedCall c : plan.calls()) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            calls.add(done);
            long delay = Math.max(0, startedAt + c.atMs() - System.currentTimeMillis());
            clock.schedule(() -> send(target.invoker(), keys.get(c.tenant()), prompt(tokenizer, text, c), c.maxTokens()).whenComplete((status, error) -> {
                if (error != null || status != 200) {
                    refused.merge(error != null ? -1 : status, 1, Integer::sum);
                }
                progress.advance(1);
                done.complete(null);
            }), delay, TimeUnit.MILLISECONDS);
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get((long) plan.durationS() + 300, TimeUnit.SECONDS);
        progress.done();
        double elapsedS = (System.currentTimeMillis() - startedAt) / 1000.0;
        List<Double> privateBytes = WorkloadTarget.anonymousPss(target.localWorkerPids()).stream().map(Long::doubleValue).toList();
        clock.shutdownNow();
        List<ActivationRecord> records = target.finishedSince(startedAt);
        TraceFile.write(records, out.resolve("trace.jsonl"));
        double workerSeconds;
        synchronized (samples) {
            workerSeconds = samples.stream().mapToDouble(s -> s.alive() * 0.5).sum();
        }
        double imageGiB = target.imageBytes() / (double) (1L << 30);
        double workerGiB = privateBytes.isEmpty() ? Double.NaN : Stats.median(privateBytes.stream().mapToDouble(Double::doubleValue).toArray()) / (1L << 30);
        // no worker restored while the run watched: not measured (NaN), never a free restore in the scale-to-zero design
        double restore = restoreMs.isEmpty() ? Double.NaN : Stats.median(restoreMs.values().stream().mapToDouble(Long::doubleValue).toArray());
        if (target.imageBytes() < 0 || Double.isNaN(workerGiB)) {
            System.err.println("the cost models need the image's size (--image) and a worker on this machine to measure; their figures are NaN");
        }
        if (Double.isNaN(restore)) {
            System.err.println("no worker restored during the run: the restore time is not measured and the scale-to-zero design's cost not computed");
        }
        CostModel costs = new CostModel(target.imageBytes() < 0 ? Double.NaN : imageGiB, workerGiB, restore, idleTimeoutS, pricePerGiBHour);
        List<ActivationRecord> ok = records.stream().filter(r -> r.status() == ActivationStatus.SUCCEEDED).toList();
        long prompt = ok.stream().mapToLong(r -> r.usage().promptTokens()).sum();
        long completion = ok.stream().mapToLong(r -> r.usage().completionTokens()).sum();
        long computeMs = ok.stream().mapToLong(r -> Math.max(0, r.timings().totalMs() - r.timings().queueMs() - r.timings().adapterLoadMs())).sum();
        double revenue = prompt + completion == 0 ? 0 : LocalStack.DEFAULT_PRICES.cost(prompt, completion, computeMs).doubleValue()
                / (prompt + completion) * 1e6;
        WorkloadReport report = WorkloadReport.of(plan, startedAt, elapsedS, records, refused, samples, costs, revenue, workerSeconds);
        report.json().put("target", url != null ? url.toString() : "a local stack started for the run").put("model", model.toString())
                .put("adapters", new JsonObject().put("rank", rank).put("targets", String.join(",", targets)));
        if (url == null) {
            report.json().put("pool_knobs", new JsonObject().put("min_warm", minWarm).put("max_workers", maxWorkers).put("prewarm", prewarm)
                    .put("idle_timeout_s", idleTimeoutS).put("target_concurrency", targetConcurrency).put("slots", slots));
        }
        Files.writeString(out.resolve("results.json"), report.json().encodePrettily());
        Files.writeString(out.resolve("report.md"), report.markdown());
        WorkloadCharts.write(records, samples, startedAt, out);
        System.out.println(report.json().encode());
        System.err.println("results in " + out + " (results.json, report.md, latency-cdf.png, hit-rates.png, pool-size.png, trace.jsonl)");
        return 0;
    }

    private static CompletableFuture<Integer> send(URI invoker, String key, String prompt, int maxTokens) {
        HttpRequest request = HttpRequest.newBuilder(invoker.resolve("/v1/functions/fn/invocations"))
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", prompt)
                        .put("max_tokens", maxTokens).put("temperature", 0.7).encode())).build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
    }

    /** About {@code promptTokens} tokens of text: a window of a long text, cut by tokens and decoded, at a per-call offset. */
    private static String prompt(Tokenizer tokenizer, int[] text, WorkloadPlan.PlannedCall c) {
        int n = Math.min(c.promptTokens(), text.length - 1);
        int from = (int) ((c.atMs() * 31 + c.tenant()) % (text.length - n));
        return tokenizer.decode(java.util.Arrays.copyOfRange(text, from, from + n));
    }

    private static final String TEXT = "A customer writes in about an order that arrived late and asks how to change the delivery address for "
            + "the next one, whether the loyalty points were applied, and what the return policy says about opened items. ";
}
