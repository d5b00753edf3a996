package io.lorafn.bench.chart;

import io.lorafn.bench.decode.DecodeResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

/** Tokens/s by batch size, one bar per adapter mix: how batching and adapters move throughput. */
public final class DecodeChart {
    private DecodeChart() {
    }

    public static void write(List<DecodeResult> results, Path png) {
        if (results.isEmpty()) {
            return;
        }
        DecodeResult first = results.get(0);
        CategoryChart chart = new CategoryChartBuilder().width(800).height(480)
                .title(String.format(java.util.Locale.ROOT, "lorafn decode, %s%s, %s", first.format(),
                        first.activations().equals("q8") ? ", 8-bit activations" : "",
                        Double.isNaN(first.bandwidthGbS()) ? first.kernels() : String.format(java.util.Locale.ROOT, "%.1f GB/s measured", first.bandwidthGbS())))
                .xAxisTitle("batch size").yAxisTitle("tokens/s (all sequences)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        chart.getStyler().setDecimalPattern("#0.0");
        Map<String, List<DecodeResult>> byMix = new LinkedHashMap<>();
        for (DecodeResult r : results) {
            byMix.computeIfAbsent(r.adapters(), k -> new ArrayList<>()).add(r);
        }
        byMix.forEach((mix, rs) -> chart.addSeries(mix.equals("none") ? "no adapter" : mix + " rank-" + rs.get(0).rank() + " adapters",
                rs.stream().map(r -> String.valueOf(r.batch())).toList(), rs.stream().map(DecodeResult::tokensPerS).toList()));
        Png.write(chart, png);
    }
}
