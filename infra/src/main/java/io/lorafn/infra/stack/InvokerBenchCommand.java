package io.lorafn.infra.stack;

import io.lorafn.bench.BenchModel;
import io.lorafn.bench.Stats;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.storage.cli.ImageCommand;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What the invoker and the queue add to a call: client latency minus the worker's own time (from
 * taking the call to its end), at a steady open-loop rate below the worker's capacity.
 */
@Command(name = "invoker", mixinStandardHelpOptions = true,
        description = "Latency the invoker and the queue add (client latency minus the worker's own time), p50 and p99, at a steady rate.")
public final class InvokerBenchCommand implements Callable<Integer> {
    @Option(names = "--backend", defaultValue = "auto", description = "What the workers compute on: auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--model", required = true, description = "Hugging Face model directory (e.g. from 'synth model --preset 1b').")
    Path model;

    @Option(names = "--format", defaultValue = "q8_0", description = "Weight format of the resident image (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--calls", defaultValue = "200", description = "Timed calls (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--rate", defaultValue = "4", description = "Calls per second, sent on a fixed schedule (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--max-tokens", defaultValue = "1", description = "Tokens each call generates (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--threads", defaultValue = "0", description = "The worker's kernel threads; 0 = every core, "
            + "shared with the invoker and Redis (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--warmup", defaultValue = "3000", description = "Calls sent before timing, 8 at a time (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", description = "JSON on stdout (always printed; the flag is accepted for scripts).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Path image = BenchModel.image(model, ImageCommand.parse(format), null, new ConsoleProgressBar());
        Path adapter = BenchModel.adapter(model, 16, List.of(Projection.values()), DType.F32, 0);
        Path data = Files.createTempDirectory("lorafn-bench-invoker");
        try (LocalStack stack = LocalStack.builder(model, data).backend(backend).image(image).threads(threads)
                .clusterName("lorafn-bench-" + ProcessHandle.current().pid()).start()) {
            String key = BenchTenants.create(stack, "bench", adapter, new RateLimit(10_000, 10_000), 0);
            // a lean non-blocking client on its own event loop, so the figure is the stack's and not a heavy client's
            Vertx clientVertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
            HttpClient http = clientVertx.createHttpClient(new PoolOptions().setHttp1MaxSize(64));
            String body = "{\"prompt\": \"How do I reset my password?\", \"max_tokens\": " + maxTokens + ", \"temperature\": 0}";
            RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(stack.port())
                    .setURI("/v1/functions/fn/invocations").putHeader("Authorization", "Bearer " + key);
            // warm-up, 8 calls in flight: the adapter hot, connections open, and the call path compiled by the JIT, as in a
            // server that has run a while (a cold path runs interpreted and takes several times as long)
            ConsoleProgressBar warming = new ConsoleProgressBar();
            warming.start("warm-up", warmup);
            Semaphore inFlight = new Semaphore(8);
            for (int i = 0; i < warmup; i++) {
                inFlight.acquire();
                call(http, request, body).onComplete(done -> {
                    inFlight.release();
                    warming.advance(1);
                });
            }
            inFlight.acquire(8);
            warming.done();
            List<CompletableFuture<double[]>> results = new ArrayList<>();
            long start = System.nanoTime(), interval = (long) (1e9 / rate);
            ConsoleProgressBar progress = new ConsoleProgressBar();
            progress.start("calls", calls);
            for (int i = 0; i < calls; i++) {
                long due = start + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                long sent = System.nanoTime();
                results.add(call(http, request, body).map(answer -> {
                    double clientMs = (System.nanoTime() - sent) / 1e6;
                    JsonObject t = answer.getJsonObject("timings");
                    double workerMs = t.getLong("total_ms") - t.getLong("queue_ms");
                    // queue_ms: from admission to a worker's pickup; the rest of the overhead is before admission and after the result
                    return new double[] {clientMs, clientMs - workerMs, workerMs, t.getLong("queue_ms")};
                }).toCompletionStage().toCompletableFuture());
                progress.advance(1);
            }
            progress.done();
            double[] client = new double[calls], overhead = new double[calls], worker = new double[calls], queue = new double[calls];
            for (int i = 0; i < calls; i++) {
                double[] r = results.get(i).get(5, TimeUnit.MINUTES);
                client[i] = r[0];
                overhead[i] = r[1];
                worker[i] = r[2];
                queue[i] = r[3];
            }
            System.out.printf(Locale.ROOT, "{\"calls\": %d, \"rate_per_s\": %.1f, \"max_tokens\": %d, \"overhead_ms_p50\": %.2f, "
                            + "\"overhead_ms_p99\": %.2f, \"client_ms_p50\": %.1f, \"client_ms_p99\": %.1f, \"worker_ms_p50\": %.1f, "
                            + "\"queue_ms_p50\": %.1f, \"queue_ms_p99\": %.1f}%n",
                    calls, rate, maxTokens, Stats.median(overhead), Stats.percentile(overhead, 0.99), Stats.median(client),
                    Stats.percentile(client, 0.99), Stats.median(worker), Stats.median(queue), Stats.percentile(queue, 0.99));
            clientVertx.close();
        } finally {
            try (Stream<Path> all = Files.walk(data)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }

    private static Future<JsonObject> call(HttpClient http, RequestOptions request, String body) {
        return http.request(request).compose(r -> r.send(body)).compose(res -> res.body().compose(b -> res.statusCode() == 200
                ? Future.succeededFuture(new JsonObject(b))
                : Future.failedFuture(new IllegalStateException("call failed: " + res.statusCode() + " " + b))));
    }
}
