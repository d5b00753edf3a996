package io.lorafn.storage.peft;

import java.util.Locale;

/**
 * What an adapter's matrices are kept in once loaded, as vLLM's {@code --lora-dtype}.
 *
 * <ul>
 *   <li>{@link #STORED}: as the file holds them (F32 and BF16 in place; F16, which has no kernel, widened to F32
 *       exactly). The default: results then match the F32 reference to rounding.</li>
 *   <li>{@link #BF16}: narrowed to BF16 (round to nearest even) where they are anything else: half the bytes of
 *       F32, in the adapter cache and in every decode step that reads them. Eight distinct F32 rank-16 adapters
 *       read 360 MB a step on the 1b preset, which with 8-bit activations cost a batch about a fifth of its
 *       tokens/s, and about 13% as BF16 (medians of five runs, benchmarks/RESULTS.md, eleventh session).</li>
 * </ul>
 */
public enum LoraDtype {
    STORED,
    BF16;

    /** Read by {@link #configured()}: this system property, else the environment variable {@code LORAFN_LORA_DTYPE}. */
    public static final String PROPERTY = "lorafn.lora.dtype";

    /** The process's setting: {@code stored} unless the property or the environment says {@code bf16}. */
    public static LoraDtype configured() {
        return parse(System.getProperty(PROPERTY, System.getenv().getOrDefault("LORAFN_LORA_DTYPE", "stored")));
    }

    public static LoraDtype parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "stored" -> STORED;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("the LoRA dtype must be stored or bf16, not '" + value + "'");
        };
    }
}
