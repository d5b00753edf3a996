package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q8_0 and Q4_0 products on {@link QuantizedActivations}: the definition, in plain Java, of what the C
 * products ({@code src/main/c/lorafn_int8_products.c}) compute, and the path where they cannot run.
 *
 * <p>Q8_0: lane l of block b holds the exact integer sum of w_j·q_j over j = 4l..4l+3 (w_j the weight's
 * byte). Block b goes into accumulator lanes 0-7 when b is even and 8-15 when odd, each lane adding
 * {@code fma(dw·dx, sum, lane)} block after block; the row's value is t_0 + t_1 + … + t_7, left to right, with
 * t_l = lane l + lane l+8.
 *
 * <p>Q4_0 (one row per vector lane in C, see WeightFormat's tiles): s_b is the exact integer sum of
 * (nibble - 8)·q over block b, and the row's value is acc after {@code acc = fma(dw·dx, s_b, acc)} for b in
 * order from 0.
 *
 * <p>Integer sums are exact, so the C products reach the same bits by another route, and a sequence in a
 * batch gets the bits of its solo product.
 */
final class Int8Products {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK = QuantizedActivations.BLOCK;

    private Int8Products() {
    }

    /** out[s][from..to) = rows [from, to) of w · sequence s, for every sequence of {@code x}. */
    static void multiply(WeightMatrix w, QuantizedActivations x, float[][] out, int from, int to) {
        int[] weights = new int[BLOCK];
        for (int r = from; r < to; r++) {
            for (int s = 0; s < x.batch; s++) {
                out[s][r] = dot(w.format(), w.data(), w.rowOffset(r), x, s, weights);
            }
        }
    }

    private static float dot(WeightFormat format, MemorySegment w, long offset, QuantizedActivations x, int s, int[] weights) {
        return switch (format) {
            case Q4_0 -> q4Dot(w, offset, x, s, weights);
            case Q8_0 -> q8Dot(w, offset, x, s, weights);
            default -> throw new IllegalArgumentException(format + " takes F32 activations");
        };
    }

    private static float q4Dot(MemorySegment w, long row, QuantizedActivations x, int s, int[] weights) {
        float acc = 0f;
        for (int b = 0; b < x.n / BLOCK; b++) {
            long words = Q4Kernel.wordsAt(row, b);
            for (int j = 0; j < BLOCK / 2; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, words + 64 * (j / 4) + j % 4) & 0xFF;
                weights[j] = (packed & 0x0F) - 8;
                weights[j + BLOCK / 2] = (packed >>> 4) - 8;
            }
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                sum += weights[j] * x.q(s, b * BLOCK + j);
            }
            float scale = Float.float16ToFloat(w.get(SHORT, Q4Kernel.scaleAt(row, b))) * x.scale(s, b * BLOCK);
            acc = Math.fma(scale, (float) sum, acc);
        }
        return acc;
    }

    private static float q8Dot(MemorySegment w, long offset, QuantizedActivations x, int s, int[] weights) {
        float[] lanes = new float[16];
        int blockBytes = WeightFormat.Q8_0.bytesPerBlock();
        for (int b = 0; b < x.n / BLOCK; b++, offset += blockBytes) {
            for (int j = 0; j < BLOCK; j++) {
                weights[j] = w.get(ValueLayout.JAVA_BYTE, offset + 2 + j);
            }
            float scale = Float.float16ToFloat(w.get(SHORT, offset)) * x.scale(s, b * BLOCK);
            int half = (b & 1) * 8;
            for (int l = 0; l < 8; l++) {
                int sum = 0;
                for (int j = 4 * l; j < 4 * l + 4; j++) {
                    sum += weights[j] * x.q(s, b * BLOCK + j);
                }
                lanes[half + l] = Math.fma(scale, (float) sum, lanes[half + l]);
            }
        }
        float row = lanes[0] + lanes[8];
        for (int l = 1; l < 8; l++) {
            row += lanes[l] + lanes[l + 8];
        }
        return row;
    }
}
