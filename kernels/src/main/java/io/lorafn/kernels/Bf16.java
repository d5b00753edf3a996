package io.lorafn.kernels;

/**
 * bfloat16, the top half of a float32: the one definition of its rounding, for the kernels (activations rounded for
 * {@code vdpbf16ps}, rows encoded) and for the safetensors writer alike.
 */
public final class Bf16 {
    private Bf16() {
    }

    /** v rounded to nearest even, as torch casts to bfloat16; a NaN stays a (quiet) NaN. */
    public static short round(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float a bfloat16 stands for, exactly. */
    public static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }
}
