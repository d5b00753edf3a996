package io.lorafn.kernels;

import java.util.Locale;

/**
 * What the CPU backend multiplies Q8_0 and Q4_0 weights with.
 *
 * <ul>
 *   <li>{@link #F32}: the activations as they are; every weight is decoded to F32 first. The results match the
 *       F32 reference to rounding. The default.</li>
 *   <li>{@link #Q8}: the activations quantized to 8 bits per block of 32 (llama.cpp's method): integer dot
 *       products, about three times less arithmetic per weight, results within about 1% of the exact ones.
 *       Batching still never changes a sequence's result.</li>
 * </ul>
 *
 * With {@link #Q8}, BF16 weights take the activations rounded to BF16 where the CPU has AVX512_BF16 (llama.cpp's
 * {@code vec_dot_type} for BF16: {@code io.lorafn.kernels.cpu.Bf16Dot}), and F32 activations elsewhere. F32 and adapter
 * matrices always take F32 activations.
 */
public enum Activations {
    F32,
    Q8;

    /** Read by {@link #configured()}: this system property, else the environment variable {@code LORAFN_ACTIVATIONS}. */
    public static final String PROPERTY = "lorafn.activations";

    /** The process's setting: {@code f32} unless the property or the environment says {@code q8}. */
    public static Activations configured() {
        String value = System.getProperty(PROPERTY, System.getenv().getOrDefault("LORAFN_ACTIVATIONS", "f32"));
        return parse(value);
    }

    public static Activations parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "f32" -> F32;
            case "q8" -> Q8;
            default -> throw new IllegalArgumentException("activations must be f32 or q8, not '" + value + "'");
        };
    }

    /** Whether products with weights of this format use these activations. */
    public boolean quantizes(WeightFormat format) {
        return this == Q8 && (format == WeightFormat.Q8_0 || format == WeightFormat.Q4_0);
    }
}
