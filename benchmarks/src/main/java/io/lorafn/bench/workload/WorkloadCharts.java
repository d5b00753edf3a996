package io.lorafn.bench.workload;

import io.lorafn.bench.chart.Png;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** The run in three pictures: the latency CDF, the adapter hit rates over time, the pool's size over time. */
public final class WorkloadCharts {
    private static final long BUCKET_MS = 10_000;

    private WorkloadCharts() {
    }

    public static List<Path> write(List<ActivationRecord> records, List<PoolSample> pool, long startedAtMs, Path dir) {
        List<ActivationRecord> ok = records.stream().filter(r -> r.status() == ActivationStatus.SUCCEEDED).toList();
        List<Path> written = new ArrayList<>();
        XYChart cdf = chart("Latency CDF", "ms", "fraction of calls");
        cdf.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        addCdf(cdf, "time to first token", ok, r -> r.timings().ttftMs());
        addCdf(cdf, "total", ok, r -> r.timings().totalMs());
        written.add(Png.write(cdf, dir.resolve("latency-cdf.png")));

        XYChart hits = chart("Adapter hit rates over time (10 s buckets)", "s", "fraction of calls");
        long end = ok.stream().mapToLong(ActivationRecord::acceptedAtMs).max().orElse(startedAtMs);
        for (String tier : List.of("hot", "warm", "cold")) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (long b = startedAtMs; b <= end; b += BUCKET_MS) {
                long from = b;
                List<ActivationRecord> in = ok.stream().filter(r -> r.acceptedAtMs() >= from && r.acceptedAtMs() < from + BUCKET_MS).toList();
                if (!in.isEmpty()) {
                    x.add((b - startedAtMs + BUCKET_MS / 2.0) / 1000);
                    y.add((double) in.stream().filter(r -> tier.equals(r.adapterTier())).count() / in.size());
                }
            }
            if (!x.isEmpty()) {
                hits.addSeries(tier, x, y);
            }
        }
        written.add(Png.write(hits, dir.resolve("hit-rates.png")));

        XYChart size = chart("Pool size over time", "s", "workers");
        if (!pool.isEmpty()) {
            List<Double> x = pool.stream().map(s -> (s.atMs() - startedAtMs) / 1000.0).toList();
            size.addSeries("alive", x, pool.stream().map(s -> (double) s.alive()).toList());
            size.addSeries("busy", x, pool.stream().map(s -> (double) s.busy()).toList());
            size.addSeries("restoring", x, pool.stream().map(s -> (double) s.restoring()).toList());
        }
        written.add(Png.write(size, dir.resolve("pool-size.png")));
        return written;
    }

    private static void addCdf(XYChart chart, String name, List<ActivationRecord> rs, ToLongFunction<ActivationRecord> f) {
        double[] v = rs.stream().mapToDouble(r -> f.applyAsLong(r)).sorted().toArray();
        if (v.length == 0) {
            return;
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (int i = 0; i < v.length; i++) {
            x.add(v[i]);
            y.add((i + 1.0) / v.length);
        }
        chart.addSeries(name, x, y);
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart c = new XYChartBuilder().width(800).height(480).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        c.getStyler().setMarkerSize(3);
        return c;
    }
}
