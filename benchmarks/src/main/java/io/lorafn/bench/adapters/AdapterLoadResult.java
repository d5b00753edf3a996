package io.lorafn.bench.adapters;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Medians over the measured adapters.
 *
 * @param coldMs      object store to hot: fetch, sha256, validation, preparation
 * @param warmToHotMs raw bytes in RAM to hot: validation and preparation
 * @param hotMs       a call for an adapter that is already hot (the cost of switching between hot adapters)
 * @param fetchMs     the verified fetch alone (MinIO SDK against the embedded S3 server)
 */
public record AdapterLoadResult(long adapterBytes, int adapters, double coldMs, double warmToHotMs, double hotMs, double fetchMs,
                                double[] coldRunsMs) {
    public String toJson() {
        return String.format(Locale.ROOT, "{\"adapter_bytes\": %d, \"adapters\": %d, \"cold_ms\": %.1f, \"warm_to_hot_ms\": %.2f, "
                        + "\"hot_ms\": %.3f, \"fetch_ms\": %.1f, \"cold_runs_ms\": [%s]}", adapterBytes, adapters, coldMs, warmToHotMs,
                hotMs, fetchMs, Arrays.stream(coldRunsMs).mapToObj(v -> String.format(Locale.ROOT, "%.1f", v)).collect(Collectors.joining(", ")));
    }
}
