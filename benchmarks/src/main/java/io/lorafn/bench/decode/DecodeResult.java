package io.lorafn.bench.decode;

import java.util.Locale;

/**
 * One decode configuration's result. {@code weightBytesPerToken} is the bytes one step reads (base
 * weights, plus every distinct adapter's A and B) divided by the tokens the step produces, so a run's
 * {@code tokensPerS × weightBytesPerToken / bandwidth} is the share of the machine's bandwidth it actually used. {@code activations} is what Q8_0 and Q4_0 weights were multiplied with
 * ({@code f32} or {@code q8}). {@code bandwidthGbS} is the median of the readings taken beside the runs, within
 * {@code bandwidthMinGbS .. bandwidthMaxGbS}; {@code bandwidthFraction} is the median of the runs' own fractions ({@link PairedRuns}); all three are NaN, printed as
 * null, where the products ran on a GPU, whose memory the host's probe does not read.
 * {@code hugePageShare} is the share of the mapped image in 2 MiB pages after the run
 * (NaN where unknown, printed as null): below 1 the run read part of the weights through 4 KiB pages, and slower.
 * {@code adapterDtype} is what the adapters' matrices were held in ({@code f32}, {@code bf16}; {@code none} without
 * adapters): the file's type, or BF16 where {@code LORAFN_LORA_DTYPE} narrowed them ({@code bf16}, or {@code auto} with 8-bit activations). {@code kernels} is what computed
 * the products: {@code cuda}, or on the CPU the C build ({@code avx512}, {@code avx2}) or the Vector API ({@code vector}).
 */
public record DecodeResult(String kernels, String format, String activations, int batch, String adapters, int rank, String adapterDtype, double tokensPerS,
                           long weightBytesPerToken,
                           double bandwidthGbS, double bandwidthMinGbS, double bandwidthMaxGbS, double bandwidthFraction, double hugePageShare) {
    public String toJson() {
        return String.format(Locale.ROOT, "{\"kernels\": \"%s\", \"format\": \"%s\", \"activations\": \"%s\", \"batch\": %d, \"adapters\": \"%s\", \"rank\": %d, "
                        + "\"adapter_dtype\": \"%s\", "
                        + "\"tokens_per_s\": %.2f, \"weight_bytes_per_token\": %d, \"bandwidth_gb_s\": %s, \"bandwidth_gb_s_range\": %s, "
                        + "\"bandwidth_fraction\": %s, "
                        + "\"huge_page_share\": %s}",
                kernels, format, activations, batch, adapters, rank, adapterDtype, tokensPerS, weightBytesPerToken, JsonNumbers.orNull(bandwidthGbS, "%.2f"),
                Double.isNaN(bandwidthGbS) ? "null" : String.format(Locale.ROOT, "[%.2f, %.2f]", bandwidthMinGbS, bandwidthMaxGbS),
                JsonNumbers.orNull(bandwidthFraction, "%.3f"), JsonNumbers.orNull(hugePageShare, "%.3f"));
    }
}
