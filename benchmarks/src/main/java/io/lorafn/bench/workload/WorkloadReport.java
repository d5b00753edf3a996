package io.lorafn.bench.workload;

import io.lorafn.bench.Stats;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * A workload run's numbers, from the activation records of its calls (the server's own timings), what the
 * client saw (refusals have no record), the pool sampled while it ran, and the cost models.
 *
 * @param refused calls the invoker turned away, by HTTP status
 */
public record WorkloadReport(JsonObject json, String markdown) {

    public static WorkloadReport of(WorkloadPlan plan, long startedAtMs, double elapsedS, List<ActivationRecord> records,
                                    Map<Integer, Integer> refused, List<PoolSample> pool, CostModel costModel, double revenuePer1MTokens,
                                    double workerSeconds) {
        List<ActivationRecord> ok = records.stream().filter(r -> r.status() == ActivationStatus.SUCCEEDED).toList();
        long promptTokens = ok.stream().mapToLong(r -> r.usage().promptTokens()).sum();
        long completionTokens = ok.stream().mapToLong(r -> r.usage().completionTokens()).sum();
        long coldStarts = ok.stream().filter(ActivationRecord::coldStart).count();
        JsonObject latency = new JsonObject().put("all", latencies(ok));
        Map<String, Long> tiers = new LinkedHashMap<>();
        for (String tier : List.of("hot", "warm", "cold")) {
            List<ActivationRecord> inTier = ok.stream().filter(r -> tier.equals(r.adapterTier())).toList();
            tiers.put(tier, (long) inTier.size());
            if (!inTier.isEmpty()) {
                latency.put(tier, latencies(inTier));
            }
        }
        Map<String, List<Long>> arrivalsByTenant = new HashMap<>();
        records.forEach(r -> arrivalsByTenant.computeIfAbsent(r.tenant(), t -> new ArrayList<>()).add(r.acceptedAtMs()));
        List<CostModel.Cost> costs = costModel.costs(workerSeconds, elapsedS, arrivalsByTenant, promptTokens + completionTokens, coldStarts);
        JsonArray costJson = new JsonArray();
        costs.forEach(c -> {
            JsonObject design = new JsonObject().put("design", c.design()).put("gib_hours", num(c.gibHours())).put("usd", num(c.usd()))
                    .put("usd_per_1m_tokens", num(c.usdPer1MTokens())).put("cold_starts", c.coldStarts());
            costJson.add(c.notComputed() == null ? design : design.put("not_computed", c.notComputed()));
        });
        JsonObject json = new JsonObject()
                .put("workload", new JsonObject().put("rate_per_s", plan.rate()).put("duration_s", plan.durationS()).put("tenants", plan.tenants())
                        .put("zipf_s", plan.zipfS()).put("prompt_tokens", plan.promptTokens().toString()).put("output_tokens", plan.outputTokens().toString())
                        .put("seed", plan.seed()).put("planned_calls", plan.calls().size()))
                .put("started_at_ms", startedAtMs).put("elapsed_s", elapsedS)
                .put("calls", new JsonObject().put("succeeded", ok.size()).put("failed", records.size() - ok.size()).put("refused", new JsonObject(
                        new LinkedHashMap<>(refused.entrySet().stream().collect(java.util.stream.Collectors.toMap(e -> e.getKey().toString(),
                                Map.Entry::getValue))))))
                .put("throughput", new JsonObject().put("calls_per_s", ok.size() / elapsedS).put("completion_tokens_per_s", completionTokens / elapsedS)
                        .put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens))
                .put("latency_ms", latency)
                .put("adapter_tiers", new JsonObject(new LinkedHashMap<>(tiers)))
                .put("hit_rates", hitRates(tiers, ok.size()))
                .put("cold_starts", coldStarts)
                .put("queue_ms", new JsonObject().put("p50", pct(ok, r -> r.timings().queueMs(), 0.5)).put("p99", pct(ok, r -> r.timings().queueMs(), 0.99)))
                .put("pool", new JsonObject().put("worker_seconds", workerSeconds).put("peak_workers", pool.stream().mapToInt(PoolSample::alive).max().orElse(0)))
                .put("memory", new JsonObject().put("image_gib", num(costModel.imageGiB())).put("worker_private_gib", num(costModel.workerPrivateGiB()))
                        .put("restore_ms", num(costModel.restoreMs())))
                .put("cost", new JsonObject().put("price_per_gib_hour_usd", costModel.pricePerGiBHour()).put("designs", costJson)
                        .put("price_sheet_usd_per_1m_tokens", revenuePer1MTokens));
        return new WorkloadReport(json, markdown(json, costs));
    }

    private static JsonObject latencies(List<ActivationRecord> rs) {
        return new JsonObject()
                .put("ttft", new JsonObject().put("p50", pct(rs, r -> r.timings().ttftMs(), 0.5)).put("p95", pct(rs, r -> r.timings().ttftMs(), 0.95))
                        .put("p99", pct(rs, r -> r.timings().ttftMs(), 0.99)))
                .put("total", new JsonObject().put("p50", pct(rs, r -> r.timings().totalMs(), 0.5)).put("p95", pct(rs, r -> r.timings().totalMs(), 0.95))
                        .put("p99", pct(rs, r -> r.timings().totalMs(), 0.99)))
                .put("calls", rs.size());
    }

    /** A figure, or null where it could not be measured (JSON has no NaN). */
    private static Double num(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static JsonObject hitRates(Map<String, Long> tiers, int calls) {
        JsonObject rates = new JsonObject();
        tiers.forEach((tier, n) -> rates.put(tier, calls == 0 ? 0 : (double) n / calls));
        return rates;
    }

    private static double pct(List<ActivationRecord> rs, ToLongFunction<ActivationRecord> f, double q) {
        return rs.isEmpty() ? 0 : Stats.percentile(rs.stream().mapToDouble(r -> f.applyAsLong(r)).toArray(), q);
    }

    private static String markdown(JsonObject j, List<CostModel.Cost> costs) {
        JsonObject w = j.getJsonObject("workload");
        StringBuilder md = new StringBuilder("# Workload run\n\n");
        md.append(String.format(Locale.ROOT, "Poisson arrivals at %.2f calls/s for %.0f s over %d tenants (Zipf s = %.2f), prompts %s tokens, "
                        + "outputs %s tokens, seed %d: %d calls planned.%n%n", w.getDouble("rate_per_s"), w.getDouble("duration_s"), w.getInteger("tenants"),
                w.getDouble("zipf_s"), w.getString("prompt_tokens"), w.getString("output_tokens"), w.getLong("seed"), w.getInteger("planned_calls")));
        JsonObject c = j.getJsonObject("calls");
        JsonObject t = j.getJsonObject("throughput");
        md.append(String.format(Locale.ROOT, "%d succeeded, %d failed, refused %s. Throughput %.2f calls/s, %.1f generated tokens/s. "
                        + "Cold starts: %d. Queue time p50 %.0f ms, p99 %.0f ms.%n%n", c.getInteger("succeeded"), c.getInteger("failed"),
                c.getJsonObject("refused").encode(), t.getDouble("calls_per_s"), t.getDouble("completion_tokens_per_s"), j.getLong("cold_starts"),
                j.getJsonObject("queue_ms").getDouble("p50"), j.getJsonObject("queue_ms").getDouble("p99")));
        md.append("| calls | n | TTFT p50 | p95 | p99 | total p50 | p95 | p99 |\n|---|---|---|---|---|---|---|---|\n");
        JsonObject lat = j.getJsonObject("latency_ms");
        for (String k : lat.fieldNames()) {
            JsonObject l = lat.getJsonObject(k);
            md.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |%n", k.equals("all") ? "all" : "adapter " + k,
                    l.getInteger("calls"), l.getJsonObject("ttft").getDouble("p50"), l.getJsonObject("ttft").getDouble("p95"),
                    l.getJsonObject("ttft").getDouble("p99"), l.getJsonObject("total").getDouble("p50"), l.getJsonObject("total").getDouble("p95"),
                    l.getJsonObject("total").getDouble("p99")));
        }
        JsonObject h = j.getJsonObject("hit_rates");
        md.append(String.format(Locale.ROOT, "%nAdapter hit rates: hot %.1f%%, warm %.1f%%, cold %.1f%%.%n%n", 100 * h.getDouble("hot"),
                100 * h.getDouble("warm"), 100 * h.getDouble("cold")));
        JsonObject m = j.getJsonObject("memory");
        if (m.getDouble("image_gib") == null || m.getDouble("worker_private_gib") == null) {
            md.append("Cost: not measured (the image's size needs --image, a worker's memory a worker on this machine).\n");
            return md.toString();
        }
        Double restore = m.getDouble("restore_ms");
        md.append(String.format(Locale.ROOT, "Cost at $%.4f per GiB-hour, from measured memory (image %.2f GiB, a worker's own %.2f GiB) and "
                        + "restore time (%s); the price sheet charges $%.2f per 1M tokens.%n%n", j.getJsonObject("cost").getDouble("price_per_gib_hour_usd"),
                m.getDouble("image_gib"), m.getDouble("worker_private_gib"),
                restore == null ? "not measured: no worker restored during the run" : String.format(Locale.ROOT, "%.0f ms", restore),
                j.getJsonObject("cost").getDouble("price_sheet_usd_per_1m_tokens")));
        md.append("| design | GiB-hours | USD | USD per 1M tokens | cold starts |\n|---|---|---|---|---|\n");
        for (CostModel.Cost cost : costs) {
            md.append(cost.notComputed() != null
                    ? String.format(Locale.ROOT, "| %s | not computed: %s | - | - | %d |%n", cost.design(), cost.notComputed(), cost.coldStarts())
                    : String.format(Locale.ROOT, "| %s | %.3f | %.5f | %.4f | %d |%n", cost.design(), cost.gibHours(), cost.usd(),
                            cost.usdPer1MTokens(), cost.coldStarts()));
        }
        return md.toString();
    }
}
