package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CpuBackendTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A matrix stored at an odd offset, so unaligned access is exercised too. */
    private static WeightMatrix matrix(Arena arena, WeightFormat format, float[] values, int rows, int cols) {
        MemorySegment backing = arena.allocate(format.rowBytes(cols) * rows + 1);
        MemorySegment seg = backing.asSlice(1);
        for (int i = 0; i < values.length; i++) {
            if (format == WeightFormat.F32) {
                seg.set(F, 4L * i, values[i]);
            } else {
                seg.set(S, 2L * i, (short) (Float.floatToRawIntBits(values[i]) >>> 16));
            }
        }
        return new WeightMatrix("w", format, seg, rows, cols);
    }

    private static float[] random(SplittableRandom r, int n, boolean bf16Exact) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
            if (bf16Exact) {
                v[i] = Float.intBitsToFloat(Float.floatToRawIntBits(v[i]) & 0xFFFF0000);
            }
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 31, 32, 33, 100, 257})
    void productsMatchDoublePrecisionForEveryLengthAndFormat(int cols) {
        SplittableRandom r = new SplittableRandom(cols);
        int rows = 5, batch = 3;
        for (WeightFormat format : WeightFormat.values()) {
            try (Arena arena = Arena.ofConfined(); CpuBackend backend = new CpuBackend(1)) {
                float[] w = random(r, rows * cols, format == WeightFormat.BF16);
                WeightMatrix m = matrix(arena, format, w, rows, cols);
                float[][] x = new float[batch][];
                for (int b = 0; b < batch; b++) {
                    x[b] = random(r, cols, false);
                }
                float[][] out = new float[batch][rows];
                backend.matmul(m, x, out, batch);
                for (int b = 0; b < batch; b++) {
                    for (int row = 0; row < rows; row++) {
                        double expected = 0;
                        for (int i = 0; i < cols; i++) {
                            expected += (double) w[row * cols + i] * x[b][i];
                        }
                        assertEquals(expected, out[b][row], 1e-5 * Math.sqrt(cols) * 4, format + " row " + row);
                    }
                }
                float[] decoded = new float[cols];
                backend.dequantizeRow(m, 2, decoded);
                assertArrayEquals(java.util.Arrays.copyOfRange(w, 2 * cols, 3 * cols), decoded);
            }
        }
    }

    @Test
    void threadSplitAndBatchSizeDoNotChangeAnyBit() {
        SplittableRandom r = new SplittableRandom(9);
        int rows = 300, cols = 512;
        try (Arena arena = Arena.ofShared(); CpuBackend one = new CpuBackend(1); CpuBackend three = new CpuBackend(3)) {
            WeightMatrix m = matrix(arena, WeightFormat.BF16, random(r, rows * cols, true), rows, cols);
            float[][] x = {random(r, cols, false), random(r, cols, false), random(r, cols, false)};
            float[][] batched = new float[3][rows];
            three.matmul(m, x, batched, 3);
            for (int b = 0; b < 3; b++) {
                float[][] alone = new float[1][rows];
                one.matmul(m, new float[][] {x[b]}, alone, 1);
                assertArrayEquals(alone[0], batched[b]);
            }
        }
    }

    @Test
    void resultsAreBitwiseTheSameBeforeAndAfterJitCompilation() {
        SplittableRandom r = new SplittableRandom(10);
        int rows = 4, cols = 96;
        for (WeightFormat format : WeightFormat.values()) {
            try (Arena arena = Arena.ofConfined(); CpuBackend backend = new CpuBackend(1)) {
                WeightMatrix m = matrix(arena, format, random(r, rows * cols, true), rows, cols);
                float[][] x = {random(r, cols, false)};
                float[][] first = new float[1][rows];
                backend.matmul(m, x, first, 1); // early: interpreted or C1
                float[][] later = new float[1][rows];
                for (int i = 0; i < 30_000; i++) { // enough calls for C2 to compile the kernel
                    backend.matmul(m, x, later, 1);
                    assertArrayEquals(first[0], later[0], format + " after " + i + " calls");
                }
            }
        }
    }

    @Test
    void ropeRotatesHalvesLikeTransformers() {
        float[] v = {1, 2, 3, 4}; // one head of dim 4: pairs (0,2) and (1,3)
        VectorMath.rope(v, 1, 4, new float[] {0f, 1f}, new float[] {1f, 0f});
        assertArrayEquals(new float[] {-3, 2, 1, 4}, v);
    }

    @Test
    void attentionWithOnePositionReturnsItsValue() {
        float[] q = {1, 0, 0, 1}, k = {5, 5}, val = {0.25f, -2f}, out = new float[4];
        Attention.attend(q, k, val, new int[] {0}, 1, 2, 1, 2, 0, 1, new float[1], out);
        assertArrayEquals(new float[] {0.25f, -2f, 0.25f, -2f}, out);
    }
}
