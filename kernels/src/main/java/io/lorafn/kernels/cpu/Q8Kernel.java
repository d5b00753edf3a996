package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q8_0 rows: per block of 32, an F16 scale and 32 signed bytes; x = d·q. Rows are interleaved in tiles
 * ({@link WeightFormat}); a row's offset is its tile plus 4 × its lane, and from there block b's scale is at
 * {@link #scaleAt} and its 32 bytes are eight words, 64 bytes apart, from {@link #wordsAt}.
 */
final class Q8Kernel implements RowKernel {
    static final Q8Kernel INSTANCE = new Q8Kernel();
    private static final int BLOCK = 32;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** 2^-24: a weight is taken as q·2^24, the scale as d·2^-24. */
    private static final float UNSCALE = 0x1p-24f;

    /**
     * Q4_0's order ({@link Q4Kernel#dot}; the C products compute 16 rows at once, one per vector lane): for each
     * block b, per chain c = 0..3, p_c = the chain over the weights of columns 4c .. 4c+3, 16+4c .. 16+4c+3 (word
     * c's bytes, then word c+4's) of w_j·x_j, the first a product and the rest multiply-adds; s_b = (p_0 + p_1) +
     * (p_2 + p_3); acc = fma(d_b·2^-24, s_b, acc) from 0. The weight w_j is q_j·2^24, a byte moved to the top of
     * a 32-bit integer and converted, which costs C one instruction fewer than sign-extending it (batch 1 from
     * L2: 5.5 -> 9.1 weights a cycle). Scaling by powers of two is exact, so every value is 2^24 times what q_j
     * would give and the result is the same: the scaled form is the definition only so that no partial sum
     * near the subnormal range could tell them apart. Scalar: this is the definition; {@link Tiles} computes it in
     * vector lanes where C cannot run.
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        float acc = 0f;
        for (int i = 0, b = 0; i < n; i += BLOCK, b++) {
            long words = wordsAt(offset, b);
            float p0 = chainSum(w, words, x, i, 0), p1 = chainSum(w, words, x, i, 1);
            float p2 = chainSum(w, words, x, i, 2), p3 = chainSum(w, words, x, i, 3);
            acc = Math.fma(Float.float16ToFloat(w.get(SHORT, scaleAt(offset, b))) * UNSCALE, (p0 + p1) + (p2 + p3), acc);
        }
        return acc;
    }

    /** p_c of the block whose first column is x[i]. */
    private static float chainSum(MemorySegment w, long words, float[] x, int i, int c) {
        int low = w.get(INT, words + 64L * c), high = w.get(INT, words + 64L * (c + 4));
        float sum = weight(low, 0) * x[i + 4 * c];
        for (int k = 1; k < 4; k++) {
            sum = Math.fma(weight(low, k), x[i + 4 * c + k], sum);
        }
        for (int k = 0; k < 4; k++) {
            sum = Math.fma(weight(high, k), x[i + 16 + 4 * c + k], sum);
        }
        return sum;
    }

    /** Byte k of a word as q·2^24. */
    private static float weight(int word, int k) {
        return (float) ((word << (24 - 8 * k)) & 0xFF00_0000);
    }

    static long scaleAt(long row, int block) {
        return WeightFormat.Q8_0.scaleOffset(row, block);
    }

    static long wordsAt(long row, int block) {
        return WeightFormat.Q8_0.wordsOffset(row, block);
    }

    /** Where byte j (0..31) of a row's block sits after its {@link #wordsAt}. */
    private static long byteAt(int j) {
        return 64L * (j / 4) + j % 4;
    }

    /** d·q per weight: one row of a tile, read word by word (the embedding lookup's path, a row per token). */
    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        for (int i = 0, b = 0; i < n; i += BLOCK, b++) {
            float d = Float.float16ToFloat(w.get(SHORT, scaleAt(offset, b)));
            long words = wordsAt(offset, b);
            for (int c = 0; c < 8; c++) {
                int word = w.get(INT, words + 64L * c);
                for (int k = 0; k < 4; k++) {
                    out[i + 4 * c + k] = d * (byte) (word >> (8 * k));
                }
            }
        }
    }

    /** llama.cpp's quantize_row_q8_0: d = max|x| / 127, q = round(x / d). */
    @Override
    public void quantize(float[] row, MemorySegment w, long offset, int n) {
        for (int i = 0, b = 0; i < n; i += BLOCK, b++) {
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(row[i + j]));
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            w.set(SHORT, scaleAt(offset, b), Float.floatToFloat16(d));
            long words = wordsAt(offset, b);
            for (int j = 0; j < BLOCK; j++) {
                float v = row[i + j] * id; // C's roundf: halves away from zero
                w.set(ValueLayout.JAVA_BYTE, words + byteAt(j), (byte) (v >= 0 ? Math.round(v) : -Math.round(-v)));
            }
        }
    }
}
