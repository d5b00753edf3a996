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
 * <p>Both formats (one row per vector lane in C, see WeightFormat's tiles): s_b is the exact integer sum of
 * w·q over block b, w the Q8_0 byte or the Q4_0 nibble - 8, and the row's value is acc after
 * {@code acc = fma(dw·dx, s_b, acc)} for b in order from 0.
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
        if (!w.format().tiled()) {
            throw new IllegalArgumentException(w.format() + " takes F32 activations");
        }
        int[] weights = new int[BLOCK];
        for (int r = from; r < to; r++) {
            for (int s = 0; s < x.batch; s++) {
                out[s][r] = dot(w.format(), w.data(), w.rowOffset(r), x, s, weights);
            }
        }
    }

    private static float dot(WeightFormat format, MemorySegment w, long row, QuantizedActivations x, int s, int[] weights) {
        float acc = 0f;
        for (int b = 0; b < x.n / BLOCK; b++) {
            long words = format.wordsOffset(row, b);
            if (format == WeightFormat.Q8_0) {
                for (int j = 0; j < BLOCK; j++) {
                    weights[j] = w.get(ValueLayout.JAVA_BYTE, words + 64 * (j / 4) + j % 4);
                }
            } else {
                for (int j = 0; j < BLOCK / 2; j++) {
                    int packed = w.get(ValueLayout.JAVA_BYTE, words + 64 * (j / 4) + j % 4) & 0xFF;
                    weights[j] = (packed & 0x0F) - 8;
                    weights[j + BLOCK / 2] = (packed >>> 4) - 8;
                }
            }
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                sum += weights[j] * x.q(s, b * BLOCK + j);
            }
            acc = Math.fma(Float.float16ToFloat(w.get(SHORT, format.scaleOffset(row, b))) * x.scale(s, b * BLOCK), (float) sum, acc);
        }
        return acc;
    }
}
