package io.lorafn.bench.decode;

import java.util.Locale;

/**
 * One prefill length's result. {@code fmaGPerS} is the F32 multiply-adds a second the machine did with the same threads,
 * read beside the runs (NaN where the products are not F32 multiply-adds: 8-bit activations, or CUDA), and the fraction
 * is {@code tokensPerS × multiplyAddsPerToken ÷ fmaGPerS}; both print as null where unknown.
 */
public record PrefillResult(String kernels, String format, String activations, int promptTokens, double tokensPerS,
                            long multiplyAddsPerToken, double fmaGPerS) {
    public double fmaFraction() {
        return tokensPerS * multiplyAddsPerToken / (fmaGPerS * 1e9);
    }

    public String toJson() {
        return String.format(Locale.ROOT, "{\"kernels\": \"%s\", \"format\": \"%s\", \"activations\": \"%s\", \"prompt_tokens\": %d, "
                        + "\"prompt_tokens_per_s\": %.2f, \"multiply_adds_per_token\": %d, \"fma_g_per_s\": %s, \"fma_fraction\": %s}",
                kernels, format, activations, promptTokens, tokensPerS, multiplyAddsPerToken,
                JsonNumbers.orNull(fmaGPerS, "%.1f"), JsonNumbers.orNull(fmaFraction(), "%.3f"));
    }
}
