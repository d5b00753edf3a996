package io.lorafn.infra.stack;

import io.lorafn.bench.BenchModel;
import io.lorafn.infra.snapshot.Snapshot;
import io.lorafn.infra.snapshot.SnapshotCommand;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.pool.contract.RestoreTimings;
import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.storage.cli.ImageCommand;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Time to first token on the four paths a call can take (DESIGN.md, "Numbers"): naive (a plain JVM that
 * downloads and converts the model, then answers), restore (the pool at zero, a worker restored from the
 * snapshot), warm (a warm worker, the adapter cold) and hot. Also the memory a second worker on the
 * same image adds (proportional set size, {@code /proc/PID/smaps_rollup}).
 */
@Command(name = "coldstart", mixinStandardHelpOptions = true,
        description = "Time to first token on the naive, restore, warm and hot paths, with their breakdowns, in one run; and backbone sharing.")
public final class ColdStartBenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model directory (e.g. from 'synth model --preset 1b').")
    Path model;

    @Option(names = "--format", defaultValue = "q8_0", description = "Weight format of the image (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--snapshot", description = "A snapshot to restore from (default: built into MODEL/.lorafn-bench/snapshot-FORMAT).")
    Path snapshotDir;

    @Option(names = "--prompt", defaultValue = "How do I reset my password?", description = "The prompt of every call.")
    String prompt;

    @Option(names = "--warmup-rounds", defaultValue = "0", description = "Warm-up rounds a worker runs before WARM, on both "
            + "paths (default: ${DEFAULT-VALUE}).")
    int warmupRounds;

    @Option(names = "--settle-ms", defaultValue = "3000", description = "How long the restored worker idles before the warm path's "
            + "call, as a warm worker would have (it rehearses its adapter fetch path meanwhile; 0: at once) (default: ${DEFAULT-VALUE}).")
    long settleMs;

    @Option(names = "--skip-naive", description = "Measure only the restore, warm and hot paths (the naive one takes a while on 1b).")
    boolean skipNaive;

    @Option(names = "--backend", defaultValue = "auto", description = "What the workers compute on: auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--json", description = "JSON on stdout (always printed; the flag is accepted for scripts).")
    boolean json;

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Override
    public Integer call() throws Exception {
        WeightFormat weights = ImageCommand.parse(format);
        Path snapDir = snapshotDir != null ? snapshotDir : model.resolve(".lorafn-bench").resolve("snapshot-" + format.toLowerCase(Locale.ROOT));
        Snapshot snapshot = Files.exists(snapDir.resolve(Snapshot.FILE)) ? Snapshot.read(snapDir) : null;
        if (snapshot == null || (snapshotDir == null && snapshot.usableAotCache() == null)) {
            snapshot = SnapshotCommand.build(model, weights, snapDir, 0, false); // none yet, or trained on another build
        }
        Path first = BenchModel.adapter(model, 16, List.of(Projection.values()), DType.F32, 0);
        Path second = BenchModel.adapter(model, 16, List.of(Projection.values()), DType.F32, 1);
        Path data = Files.createTempDirectory("lorafn-bench-coldstart");
        JsonObject paths = new JsonObject();
        JsonObject sharing;
        ConsoleProgressBar progress = new ConsoleProgressBar();
        progress.start("cold-start paths", skipNaive ? 4 : 5);
        try {
            if (!skipNaive) {
                try (LocalStack stack = LocalStack.builder(model, data.resolve("naive")).backend(backend).naive("models/bench/").pool(new PoolConfig(0, 1, 0, 600, 8))
                        .warmupRounds(warmupRounds).clusterName("lorafn-bench-naive-" + ProcessHandle.current().pid()).start()) {
                    uploadModel(stack);
                    String key = tenant(stack, "naive", first);
                    paths.put("naive", measure(stack, key));
                    progress.advance(1);
                }
            }
            try (LocalStack stack = LocalStack.builder(model, data.resolve("restore")).backend(backend).snapshot(snapshot).pool(new PoolConfig(0, 2, 0, 600, 8))
                    .warmupRounds(warmupRounds)
                    .clusterName("lorafn-bench-restore-" + ProcessHandle.current().pid()).start()) {
                String a = tenant(stack, "tenant-a", first);
                String b = tenant(stack, "tenant-b", second);
                warmObjectStore(stack, first);
                paths.put("restore", measure(stack, a));
                progress.advance(1);
                Thread.sleep(settleMs);
                paths.put("warm", measure(stack, b));
                progress.advance(1);
                paths.put("hot", measure(stack, b));
                progress.advance(1);
                sharing = sharing(stack, snapshot);
                progress.advance(1);
                progress.done();
            }
        } finally {
            try (Stream<Path> all = Files.walk(data)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        JsonObject result = new JsonObject().put("model", model.toString()).put("format", format).put("paths", paths)
                .put("warmup_rounds", warmupRounds)
                .put("settle_ms", settleMs)
                .put("restore_fraction_of_naive", skipNaive ? null
                        : paths.getJsonObject("restore").getDouble("ttft_ms") / paths.getJsonObject("naive").getDouble("ttft_ms"))
                .put("aot_cache", snapshot.usableAotCache() != null).put("sharing", sharing);
        System.out.println(result.encode());
        return 0;
    }

    /** The naive workers download the model's Hugging Face files from here. */
    private static void uploadModel(LocalStack stack) throws Exception {
        try (Stream<Path> files = Files.list(stack.modelDir())) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().endsWith(".img")).toList()) {
                stack.store().putFile("models/bench/" + f.getFileName(), f);
            }
        }
    }

    /**
     * Reads an adapter-sized object from the store a few times first. The embedded S3 server starts with
     * the stack, so its read path would otherwise be compiled during the measured calls' fetches; a real
     * object store (MinIO, S3) is a long-running service. The workers' own side of each fetch stays cold.
     */
    private static void warmObjectStore(LocalStack stack, Path adapter) throws Exception {
        String key = "bench/warmup/" + ProcessHandle.current().pid();
        stack.store().putFile(key, adapter.resolve("adapter_model.safetensors"));
        for (int i = 0; i < 8; i++) {
            stack.store().fetchOffHeap(key, Long.MAX_VALUE);
        }
        stack.store().deletePrefix(key);
    }

    private static String tenant(LocalStack stack, String id, Path adapter) throws Exception {
        return BenchTenants.create(stack, id, adapter, new RateLimit(100, 100), 600_000);
    }

    /**
     * One streamed call: time to its first token (from the invoker's acceptance to the first sampled token,
     * as the activation records it), where the time went, and when the client saw its first text (later by
     * the tokens a partial character or a possible stop sequence holds back).
     */
    private JsonObject measure(LocalStack stack, String key) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port() + "/v1/functions/fn/invocations"))
                .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("prompt", prompt)
                        .put("max_tokens", 4).put("temperature", 0).put("stream", true).encode())).build();
        long start = System.nanoTime();
        HttpResponse<Stream<String>> response = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
        double ttft = -1;
        JsonObject done = null;
        boolean last = false;
        for (Iterator<String> lines = response.body().iterator(); lines.hasNext(); ) {
            String line = lines.next();
            if (line.equals("event: done")) {
                last = true;
            } else if (line.startsWith("data: ")) {
                if (ttft < 0) {
                    ttft = (System.nanoTime() - start) / 1e6;
                }
                if (last) {
                    done = new JsonObject(line.substring(6));
                    break;
                }
            }
        }
        if (done == null) {
            throw new IllegalStateException("the call did not finish: status " + response.statusCode());
        }
        JsonObject t = done.getJsonObject("timings");
        JsonObject out = new JsonObject().put("ttft_ms", t.getLong("ttft_ms")).put("client_first_text_ms", ttft).put("queue_ms", t.getLong("queue_ms")).put("restore_ms", t.getLong("restore_ms"))
                .put("adapter_load_ms", t.getLong("adapter_load_ms")).put("prefill_and_first_token_ms",
                        t.getLong("ttft_ms") - t.getLong("queue_ms") - t.getLong("adapter_load_ms")).put("cold_start", done.getBoolean("cold_start"));
        if (t.getLong("restore_ms") > 0) {
            RestoreTimings r = stack.directory().live().values().stream().map(WorkerInfo::restore).filter(x -> x != null).findFirst().orElse(null);
            if (r != null) {
                out.put("restore", new JsonObject().put("process_start_ms", r.processStartMs()).put("connect_ms", r.connectMs())
                        .put("fetch_and_convert_ms", r.fetchMs()).put("map_ms", r.mapMs()).put("warmup_ms", r.warmupMs()));
            }
        }
        System.err.println("path: " + out.encode());
        return out;
    }

    /**
     * Proportional set size of one worker, then of two on the same image: what the second adds, against the
     * image's size, split into file-backed pages (the mapped image: shared, so the second worker's share
     * comes out of the first's) and anonymous ones (each JVM's own heap with its KV cache, code, metadata).
     */
    private static JsonObject sharing(LocalStack stack, Snapshot snapshot) throws Exception {
        long[] one = pss(stack);
        stack.pool().update(Map.of("min_warm", 2));
        long deadline = System.currentTimeMillis() + 300_000;
        while (stack.directory().placeable().size() < 2) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the second worker did not start");
            }
            Thread.sleep(100);
        }
        long[] two = pss(stack);
        long image = Files.size(snapshot.image());
        return new JsonObject().put("image_mib", image >> 20).put("pss_one_worker_mib", one[0] >> 20).put("pss_two_workers_mib", two[0] >> 20)
                .put("second_worker_adds_mib", (two[0] - one[0]) >> 20).put("second_worker_fraction_of_image", (double) (two[0] - one[0]) / image)
                .put("second_worker_adds_file_mib", (two[1] - one[1]) >> 20)
                .put("second_worker_file_fraction_of_image", (double) (two[1] - one[1]) / image)
                .put("second_worker_adds_anon_mib", (two[2] - one[2]) >> 20);
    }

    /** {total, file-backed, anonymous} proportional set size of the stack's workers, in bytes. */
    private static long[] pss(LocalStack stack) throws Exception {
        long[] sum = new long[3];
        for (String id : stack.workers().ids()) {
            long pid = stack.workers().process(id).orElseThrow().pid();
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                int field = line.startsWith("Pss:") ? 0 : line.startsWith("Pss_File:") ? 1 : line.startsWith("Pss_Anon:") ? 2 : -1;
                if (field >= 0) {
                    sum[field] += Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        }
        return sum;
    }
}
