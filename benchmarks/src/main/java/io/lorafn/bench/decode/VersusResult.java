package io.lorafn.bench.decode;

import java.util.Locale;

/**
 * An adapter mix decoded in turns with the same batch without adapters ({@link DecodeBench#interleaved}): the medians of
 * both sides' tokens/s and the median of the runs' ratios (this mix ÷ none).
 */
public record VersusResult(String kernels, String format, String activations, int batch, String adapters, double tokensPerS,
                           double noneTokensPerS, double ratio) {
    public String toJson() {
        return String.format(Locale.ROOT, "{\"kernels\": \"%s\", \"format\": \"%s\", \"activations\": \"%s\", \"batch\": %d, "
                        + "\"adapters\": \"%s\", \"versus\": \"none\", \"tokens_per_s\": %.2f, \"versus_tokens_per_s\": %.2f, \"ratio\": %.3f}",
                kernels, format, activations, batch, adapters, tokensPerS, noneTokensPerS, ratio);
    }
}
