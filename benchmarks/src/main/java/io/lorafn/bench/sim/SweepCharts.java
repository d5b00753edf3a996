package io.lorafn.bench.sim;

import io.lorafn.bench.chart.Png;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * The sweep as three pictures, cold starts, p99 TTFT and idle cost, each against idle_timeout_s with one
 * line per combination of min_warm and prewarm: every knob in one view.
 */
public final class SweepCharts {
    private SweepCharts() {
    }

    public static List<Path> write(List<SimResult> results, Path dir) {
        return List.of(
                chart(results, dir.resolve("cold-start-rate.png"), "Cold-start rate", "calls that waited for a restore or an S3 load",
                        r -> r.coldStartRate()),
                chart(results, dir.resolve("p99-ttft.png"), "p99 time to first token", "ms", SimResult::p99TtftMs),
                chart(results, dir.resolve("idle-worker-seconds.png"), "Idle worker-seconds (the cost of being warm)", "worker-seconds",
                        SimResult::idleWorkerSeconds));
    }

    private static Path chart(List<SimResult> results, Path png, String title, String yTitle, ToDoubleFunction<SimResult> y) {
        XYChart chart = new XYChartBuilder().width(800).height(480).title(title + " against the knobs")
                .xAxisTitle("idle_timeout_s").yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        Map<String, TreeMap<Double, Double>> bySetting = new TreeMap<>();
        for (SimResult r : results) {
            bySetting.computeIfAbsent("min_warm " + r.knobs().minWarm() + ", prewarm " + r.knobs().prewarm(), k -> new TreeMap<>())
                    .put(r.knobs().idleTimeoutS(), y.applyAsDouble(r));
        }
        bySetting.forEach((setting, points) -> chart.addSeries(setting, List.copyOf(points.keySet()), List.copyOf(points.values())));
        return Png.write(chart, png);
    }
}
