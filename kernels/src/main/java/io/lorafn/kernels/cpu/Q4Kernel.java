package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 rows: per block of 32, an F16 scale and 16 bytes of nibbles; x = d·(q - 8). Rows are interleaved in
 * tiles ({@link WeightFormat}); a row's offset is its tile plus 4 × its lane, and from there
 * block b's scale is at {@link #scaleAt} and its 16 bytes are four words, 64 bytes apart, from {@link #wordsAt}.
 * {@link Q8Kernel} sums in the same order.
 */
final class Q4Kernel implements RowKernel {
    static final Q4Kernel INSTANCE = new Q4Kernel();
    private static final VectorSpecies<Float> W = Lanes.WIDE;
    private static final int WL = W.length();
    private static final int BLOCK = 32;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Q4_0's own order (rows are tiled, and the C products compute 16 rows at once, one per vector lane): for
     * each block b, per word c, p_c = the chain over its eight weights in the order 4c .. 4c+3, 16+4c ..
     * 16+4c+3 of (q - 8)·x_j, the first a product and the rest multiply-adds; s_b = (p_0 + p_1) + (p_2 + p_3);
     * acc = fma(d_b, s_b, acc) from 0. Scalar: this is the definition; {@link Tiles} computes it in vector lanes
     * where C cannot run.
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        float acc = 0f;
        for (int i = 0, b = 0; i < n; i += BLOCK, b++) {
            long words = wordsAt(offset, b);
            float p0 = wordSum(w.get(INT, words), x, i), p1 = wordSum(w.get(INT, words + 64), x, i + 4);
            float p2 = wordSum(w.get(INT, words + 128), x, i + 8), p3 = wordSum(w.get(INT, words + 192), x, i + 12);
            acc = Math.fma(Float.float16ToFloat(w.get(SHORT, scaleAt(offset, b))), (p0 + p1) + (p2 + p3), acc);
        }
        return acc;
    }

    /** p_c for the word whose first weight is x[i]: its low nibbles go with x[i..i+3], its high ones with x[i+16..i+19]. */
    private static float wordSum(int word, float[] x, int i) {
        float sum = ((word & 0x0F) - 8) * x[i];
        for (int k = 1; k < 4; k++) {
            sum = Math.fma((float) (((word >>> (8 * k)) & 0x0F) - 8), x[i + k], sum);
        }
        for (int k = 0; k < 4; k++) {
            sum = Math.fma((float) (((word >>> (8 * k + 4)) & 0x0F) - 8), x[i + 16 + k], sum);
        }
        return sum;
    }

    static long scaleAt(long row, int block) {
        return WeightFormat.Q4_0.scaleOffset(row, block);
    }

    static long wordsAt(long row, int block) {
        return WeightFormat.Q4_0.wordsOffset(row, block);
    }

    /** The 16 bytes of a row's block, one per int lane (sign-extended; dequantize masks the nibbles). */
    private static IntVector bytes(MemorySegment w, long words) {
        long low = (w.get(INT, words) & 0xFFFF_FFFFL) | ((long) w.get(INT, words + 64) << 32);
        long high = (w.get(INT, words + 128) & 0xFFFF_FFFFL) | ((long) w.get(INT, words + 192) << 32);
        return (IntVector) LongVector.zero(LongVector.SPECIES_128).withLane(0, low).withLane(1, high).reinterpretAsBytes()
                .convertShape(VectorOperators.B2I, IntVector.SPECIES_512, 0);
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        for (int i = 0, b = 0; i < n; i += BLOCK, b++) {
            FloatVector d = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, scaleAt(offset, b))));
            IntVector packed = bytes(w, wordsAt(offset, b));
            packed.and(0x0F).sub(8).convertShape(VectorOperators.I2F, W, 0).reinterpretAsFloats().mul(d).intoArray(out, i);
            packed.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convertShape(VectorOperators.I2F, W, 0).reinterpretAsFloats()
                    .mul(d).intoArray(out, i + WL);
        }
    }

    /** llama.cpp's quantize_row_q4_0: d = (the value of largest magnitude) / -8, q = clamp(round(x/d) + 8). */
    @Override
    public void quantize(float[] row, MemorySegment w, long offset, int n) {
        for (int i = 0, b = 0; i < n; i += BLOCK, b++) {
            float amax = 0f, max = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float v = row[i + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            w.set(SHORT, scaleAt(offset, b), Float.floatToFloat16(d));
            long words = wordsAt(offset, b);
            for (int j = 0; j < BLOCK / 2; j++) {
                int q0 = Math.min(15, (int) (row[i + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (row[i + j + 16] * id + 8.5f));
                w.set(ValueLayout.JAVA_BYTE, words + 64 * (j / 4) + j % 4, (byte) (q0 | (q1 << 4)));
            }
        }
    }
}
