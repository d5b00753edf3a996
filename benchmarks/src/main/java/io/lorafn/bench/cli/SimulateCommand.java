package io.lorafn.bench.cli;

import io.lorafn.bench.Stats;
import io.lorafn.bench.sim.KnobSweep;
import io.lorafn.bench.sim.PoolModel;
import io.lorafn.bench.sim.PoolSimulator;
import io.lorafn.bench.sim.SimResult;
import io.lorafn.bench.sim.SweepCharts;
import io.lorafn.bench.sim.TraceCall;
import io.lorafn.bench.sim.TraceFile;
import io.lorafn.pool.scale.PoolConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorafn pool simulate}: the operator's what-if tuner for the warm pool's knobs. */
@Command(name = "simulate", mixinStandardHelpOptions = true, description = {
        "Replays a trace ('lorafn trace export') against a model of the pool fitted from the trace's own times (restore, adapter",
        "loads, prefill, decode per token), for every combination of min_warm, prewarm and idle_timeout_s; writes a table",
        "(sweep.md, sweep.json) and charts of cold-start rate, p99 time to first token and idle worker-seconds, and names the",
        "cheapest setting that meets --p99-target-ms. With --validate, first replays the run's own knobs and reports the error",
        "against what was measured."})
public final class SimulateCommand implements Callable<Integer> {
    @Option(names = "--trace", required = true, description = "A trace file (JSON lines of activation records).")
    Path trace;

    @Option(names = "--out", defaultValue = "pool-sim", description = "Directory for the table and charts (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--min-warm-values", split = ",", defaultValue = "0,1,2", description = "min_warm values to try (default: ${DEFAULT-VALUE}).")
    List<Integer> minWarm;

    @Option(names = "--prewarm-values", split = ",", defaultValue = "0,1", description = "prewarm values to try (default: ${DEFAULT-VALUE}).")
    List<Integer> prewarm;

    @Option(names = "--idle-timeout-values", split = ",", defaultValue = "0,5,15,30,60,120,300",
            description = "idle_timeout_s values to try (default: ${DEFAULT-VALUE}).")
    List<Double> idleTimeout;

    @Option(names = "--max-workers", defaultValue = "4", description = "max_workers for every setting (default: ${DEFAULT-VALUE}).")
    int maxWorkers;

    @Option(names = "--target-concurrency", defaultValue = "8", description = "target_concurrency for every setting (default: ${DEFAULT-VALUE}).")
    double targetConcurrency;

    @Option(names = "--p99-target-ms", defaultValue = "2000", description = "The p99 time to first token to meet (default: ${DEFAULT-VALUE}).")
    double p99TargetMs;

    @Option(names = "--slots", defaultValue = "8", description = "Batch slots per worker (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--hot-adapters", defaultValue = "8", description = "Adapters a worker keeps compute-ready (default: ${DEFAULT-VALUE}).")
    int hotAdapters;

    @Option(names = "--warm-adapters", defaultValue = "32", description = "Adapters a worker keeps in host memory besides (default: ${DEFAULT-VALUE}).")
    int warmAdapters;

    @Option(names = "--restore-ms", description = "A restore's time, when the trace has no call that waited for a whole one (e.g. from 'bench coldstart').")
    Double restoreMs;

    @Option(names = "--validate", description = "Replay the traced run's own knobs (--min-warm, --prewarm, --idle-timeout-s) and report the error.")
    boolean validate;

    @Option(names = "--min-warm", defaultValue = "0", description = "With --validate: the run's min_warm.")
    int runMinWarm;

    @Option(names = "--prewarm", defaultValue = "0", description = "With --validate: the run's prewarm.")
    int runPrewarm;

    @Option(names = "--idle-timeout-s", defaultValue = "60", description = "With --validate: the run's idle_timeout_s.")
    double runIdleTimeout;

    @Override
    public Integer call() throws Exception {
        List<TraceCall> calls = TraceFile.read(trace);
        if (calls.isEmpty()) {
            throw new IllegalArgumentException(trace + " has no finished calls");
        }
        // no lone decode in the trace: no floor under the prefill line (0), rather than a guessed one
        PoolModel defaults = new PoolModel(restoreMs != null ? restoreMs : 3000, 10, 150, 100, 5, 0, 0, slots, hotAdapters, warmAdapters);
        PoolModel fitted = PoolModel.fit(calls, defaults);
        PoolModel model = restoreMs != null ? new PoolModel(restoreMs, fitted.warmLoadMs(), fitted.coldLoadMs(), fitted.prefillFixedMs(),
                fitted.prefillMsPerToken(), fitted.decodeMsPerToken(), fitted.firstCallMs(), slots, hotAdapters, warmAdapters) : fitted;
        Files.createDirectories(out);
        JsonObject summary = new JsonObject().put("trace", trace.toString()).put("calls", calls.size()).put("model", json(model));
        if (validate) {
            summary.put("validation", validation(calls, model));
        }
        List<SimResult> results = KnobSweep.run(calls, model, minWarm, prewarm, idleTimeout, maxWorkers, targetConcurrency);
        Optional<SimResult> best = KnobSweep.cheapestMeeting(results, p99TargetMs);
        JsonArray rows = new JsonArray();
        results.forEach(r -> rows.add(json(r)));
        summary.put("p99_target_ms", p99TargetMs).put("sweep", rows).put("recommended", best.map(SimulateCommand::json).orElse(null));
        Files.writeString(out.resolve("sweep.json"), summary.encodePrettily());
        Files.writeString(out.resolve("sweep.md"), table(results, best, model, summary.getJsonObject("validation"), p99TargetMs));
        SweepCharts.write(results, out);
        System.out.println(summary.copy().put("sweep", rows.size() + " settings, in " + out.resolve("sweep.json")).encodePrettily());
        System.err.println(best.map(b -> "cheapest setting with p99 TTFT <= " + (long) p99TargetMs + " ms: " + knobs(b.knobs()) + " ("
                + String.format(Locale.ROOT, "%.0f worker-s, p99 %.0f ms, %.1f%% cold starts", b.workerSeconds(), b.p99TtftMs(),
                100 * b.coldStartRate()) + ")").orElse("no setting meets p99 TTFT <= " + (long) p99TargetMs + " ms; raise max_workers or the target"));
        return 0;
    }

    /** The traced run's own knobs, simulated, against what the run measured. */
    private JsonObject validation(List<TraceCall> calls, PoolModel model) {
        PoolConfig knobs = new PoolConfig(runMinWarm, Math.max(maxWorkers, runMinWarm), runPrewarm, runIdleTimeout, targetConcurrency);
        SimResult sim = PoolSimulator.run(calls, knobs, model);
        double[] ttfts = calls.stream().filter(TraceCall::succeeded).mapToDouble(TraceCall::ttftMs).toArray();
        double measuredP99 = Stats.percentile(ttfts, 0.99);
        long measuredCold = calls.stream().filter(TraceCall::coldStart).count();
        return new JsonObject().put("knobs", knobs(knobs)).put("measured_p99_ttft_ms", measuredP99).put("simulated_p99_ttft_ms", sim.p99TtftMs())
                .put("p99_error", (sim.p99TtftMs() - measuredP99) / measuredP99).put("measured_cold_starts", measuredCold)
                .put("simulated_cold_starts", sim.coldStarts())
                .put("cold_start_error", measuredCold == 0 ? null : (double) (sim.coldStarts() - measuredCold) / measuredCold)
                .put("measured_p50_ttft_ms", Stats.percentile(ttfts, 0.5)).put("simulated_p50_ttft_ms", sim.p50TtftMs());
    }

    private static String table(List<SimResult> results, Optional<SimResult> best, PoolModel model, JsonObject validation, double p99TargetMs) {
        StringBuilder md = new StringBuilder("# Pool simulation\n\n");
        md.append(String.format(Locale.ROOT, "Model fitted from the trace: a call at an empty pool waits %.0f ms for its worker, adapter load %.0f ms "
                        + "cold / %.0f ms warm, a restored worker's first step %.0f ms more; %d slots, %d hot and %d warm adapters a worker.%n%n"
                        + "Step model: a worker runs its calls as one batch, a step at a time; a step carrying n tokens (prompt tokens and one "
                        + "per decoding call alike) costs max(%.0f, %.0f + %.2f n) ms. The line is fitted from prefills of calls that had "
                        + "their worker to themselves; the floor is a decode step of a call alone on its worker (%s), what a step of few tokens "
                        + "costs (a pass over the weights). Decode under load is not fitted: it follows from the steps the calls share.%n%n",
                model.restoreMs(), model.coldLoadMs(), model.warmLoadMs(), model.firstCallMs(), model.slots(), model.hotAdapters(),
                model.warmAdapters(), model.decodeMsPerToken(), Math.max(0, model.prefillFixedMs()), model.prefillMsPerToken(),
                model.decodeMsPerToken() > 0 ? "measured" : "the trace had none: no floor"));
        if (validation != null) {
            md.append(String.format(Locale.ROOT, "Validation at the run's own knobs (%s): p99 TTFT measured %.0f ms, simulated %.0f ms (error %+.1f%%); "
                            + "cold starts measured %d, simulated %d.%n%n", validation.getString("knobs"), validation.getDouble("measured_p99_ttft_ms"),
                    validation.getDouble("simulated_p99_ttft_ms"), 100 * validation.getDouble("p99_error"), validation.getLong("measured_cold_starts"),
                    validation.getInteger("simulated_cold_starts")));
        }
        String target = String.format(Locale.ROOT, "p99 TTFT <= %.0f ms", p99TargetMs);
        md.append(best.map(b -> "Cheapest setting (fewest worker-seconds, then fewest idle ones) that meets the target " + target + ": **"
                + knobs(b.knobs()) + "**.\n\n").orElse("No setting meets the target " + target + ".\n\n"));
        md.append("| min_warm | prewarm | idle_timeout_s | cold-start rate | p50 TTFT ms | p99 TTFT ms | worker-s | idle worker-s | peak workers |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        results.stream().sorted(Comparator.comparingDouble(SimResult::workerSeconds)).forEach(r -> md.append(String.format(Locale.ROOT,
                "| %d | %d | %.0f | %.1f%% | %.0f | %.0f | %.0f | %.0f | %d |%n", r.knobs().minWarm(), r.knobs().prewarm(), r.knobs().idleTimeoutS(),
                100 * r.coldStartRate(), r.p50TtftMs(), r.p99TtftMs(), r.workerSeconds(), r.idleWorkerSeconds(), r.peakWorkers())));
        return md.toString();
    }

    private static String knobs(PoolConfig k) {
        return String.format(Locale.ROOT, "min_warm %d, prewarm %d, idle_timeout_s %.0f", k.minWarm(), k.prewarm(), k.idleTimeoutS());
    }

    private static JsonObject json(SimResult r) {
        return new JsonObject().put("min_warm", r.knobs().minWarm()).put("prewarm", r.knobs().prewarm()).put("idle_timeout_s", r.knobs().idleTimeoutS())
                .put("max_workers", r.knobs().maxWorkers()).put("cold_start_rate", r.coldStartRate()).put("cold_starts", r.coldStarts())
                .put("p50_ttft_ms", r.p50TtftMs()).put("p95_ttft_ms", r.p95TtftMs()).put("p99_ttft_ms", r.p99TtftMs())
                .put("worker_seconds", r.workerSeconds()).put("idle_worker_seconds", r.idleWorkerSeconds()).put("peak_workers", r.peakWorkers());
    }

    private static JsonObject json(PoolModel m) {
        return new JsonObject().put("restore_ms", m.restoreMs()).put("warm_load_ms", m.warmLoadMs()).put("cold_load_ms", m.coldLoadMs())
                .put("prefill_fixed_ms", m.prefillFixedMs()).put("prefill_ms_per_token", m.prefillMsPerToken())
                .put("decode_ms_per_token", m.decodeMsPerToken()).put("first_call_ms", m.firstCallMs()).put("slots", m.slots()).put("hot_adapters", m.hotAdapters())
                .put("warm_adapters", m.warmAdapters());
    }
}
