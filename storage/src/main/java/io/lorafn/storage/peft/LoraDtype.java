package io.lorafn.storage.peft;

import io.lorafn.kernels.Activations;
import java.util.Locale;

/**
 * What an adapter's matrices are kept in once loaded, as vLLM's {@code --lora-dtype}. The setting is {@code auto}
 * (the default), {@code stored} or {@code bf16}; {@link #configured()} resolves it to one of these:
 *
 * <ul>
 *   <li>{@link #STORED}: as the file holds them (F32 and BF16 in place; F16, which has no kernel, widened to F32
 *       exactly). Results then match the F32 reference to rounding. {@code auto} with F32 activations.</li>
 *   <li>{@link #BF16}: narrowed to BF16 (round to nearest even) where they are anything else: half the bytes of
 *       F32, in the adapter cache and in every decode step that reads them. {@code auto} with 8-bit activations:
 *       those products are approximate already (about 1%), and eight distinct F32 rank-16 adapters, 360 MB a step
 *       on the 1b preset, cost such a batch about a fifth of its tokens/s, as BF16 an eighth to a sixth
 *       (benchmarks/RESULTS.md, eleventh and fourteenth sessions). vLLM's {@code auto} likewise holds adapters in the
 *       dtype the base computes in.</li>
 * </ul>
 */
public enum LoraDtype {
    STORED,
    BF16;

    /** Read by {@link #configured()}: this system property, else the environment variable {@code LORAFN_LORA_DTYPE}. */
    public static final String PROPERTY = "lorafn.lora.dtype";

    /** The process's setting ({@code auto} unless the property or the environment says otherwise), resolved against
     *  the process's {@link Activations}. */
    public static LoraDtype configured() {
        return resolve(System.getProperty(PROPERTY, System.getenv().getOrDefault("LORAFN_LORA_DTYPE", "auto")), Activations.configured());
    }

    /** {@code stored} or {@code bf16} as named; {@code auto} as {@code bf16} with 8-bit activations, else {@code stored}. */
    public static LoraDtype resolve(String setting, Activations activations) {
        return switch (setting.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> activations == Activations.Q8 ? BF16 : STORED;
            case "stored" -> STORED;
            case "bf16" -> BF16;
            default -> throw new IllegalArgumentException("the LoRA dtype must be auto, stored or bf16, not '" + setting + "'");
        };
    }
}
