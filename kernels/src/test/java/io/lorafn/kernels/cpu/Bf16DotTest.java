package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** BF16 weights with BF16 activations: the C product against its Java definition, bit for bit, and what the backend takes. */
class Bf16DotTest {
    private static WeightMatrix bf16(Arena arena, SplittableRandom random, int rows, int cols) {
        MemorySegment seg = arena.allocate(WeightFormat.BF16.matrixBytes(rows, cols) + 2).asSlice(2); // not 64-byte aligned
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) (random.nextGaussian() * 0.05);
            }
            CpuBackend.encodeRow(WeightFormat.BF16, row, seg, WeightFormat.BF16.rowOffset(r, cols));
        }
        return new WeightMatrix("w", WeightFormat.BF16, seg, rows, cols);
    }

    private static float[][] inputs(SplittableRandom random, int batch, int n) {
        float[][] x = new float[batch][n];
        for (float[] row : x) {
            for (int i = 0; i < n; i++) {
                row[i] = (float) (random.nextGaussian() * (i % 7 == 0 ? 20 : 1)); // some columns large, as real activations
            }
        }
        return x;
    }

    @Test
    void theCProductGivesTheDefinitionsBitsForEveryBatchAndSlice() {
        NativeProducts products = NativeProducts.LOADED;
        assumeTrue(products != null && products.bf16Dot != null, "needs the AVX-512 build on a CPU with AVX512_BF16");
        SplittableRandom random = new SplittableRandom(15);
        try (Arena arena = Arena.ofConfined()) {
            // rows past 2048 columns stream eight at a time at batch 1, shorter ones one at a time
            for (WeightMatrix w : new WeightMatrix[] {bf16(arena, random, 37, 256), bf16(arena, random, 37, 2112)}) {
                theCProductGivesTheDefinitionsBits(products, random, w);
            }
        }
    }

    private static void theCProductGivesTheDefinitionsBits(NativeProducts products, SplittableRandom random, WeightMatrix w) {
        for (int batch : new int[] {1, 2, 3, 5, 8}) {
            float[][] x = inputs(random, batch, w.cols());
            short[] xb = Bf16Dot.round(x, batch, w.cols());
            for (int[] slice : new int[][] {{0, 37}, {5, 23}, {36, 37}, {3, 36}}) {
                float[][] out = new float[batch][w.rows()];
                products.bf16Dot.multiply(w, xb, batch, out, slice[0], slice[1], new float[batch * w.rows()]);
                for (int s = 0; s < batch; s++) {
                    for (int r = slice[0]; r < slice[1]; r++) {
                        float expected = Bf16Dot.dot(w, r, xb, s * w.cols());
                        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(out[s][r]),
                                w.cols() + " columns, batch " + batch + ", sequence " + s + ", row " + r + ": " + expected + " vs " + out[s][r]);
                    }
                }
            }
        }
    }

    @Test
    void eightBitActivationsTakeItForBf16WeightsAndStayCloseToTheExactProduct() {
        SplittableRandom random = new SplittableRandom(16);
        try (Arena arena = Arena.ofConfined(); CpuBackend q8 = new CpuBackend(2, Activations.Q8); CpuBackend exact = new CpuBackend(2, Activations.F32)) {
            assertFalse(exact.bf16Activations(), "F32 activations stay exact");
            assumeTrue(q8.bf16Activations(), "needs the AVX-512 build on a CPU with AVX512_BF16");
            WeightMatrix w = bf16(arena, random, 1024, 512); // 1 MiB: the gang splits it
            float[][] x = inputs(random, 3, w.cols());
            float[][] approximate = new float[3][w.rows()], reference = new float[3][w.rows()];
            q8.matmul(w, x, approximate, 3);
            exact.matmul(w, x, reference, 3);
            short[] xb = Bf16Dot.round(x, 3, w.cols());
            double error = 0, norm = 0;
            for (int s = 0; s < 3; s++) {
                for (int r = 0; r < w.rows(); r++) {
                    assertEquals(Float.floatToRawIntBits(Bf16Dot.dot(w, r, xb, s * w.cols())), Float.floatToRawIntBits(approximate[s][r]));
                    error += Math.pow(approximate[s][r] - reference[s][r], 2);
                    norm += Math.pow(reference[s][r], 2);
                }
            }
            double relative = Math.sqrt(error / norm);
            assertTrue(relative < 1e-2, "relative RMS " + relative);
            float[][] solo = new float[1][w.rows()];
            q8.matmul(w, new float[][] {x[1]}, solo, 1);
            for (int r = 0; r < w.rows(); r++) {
                assertEquals(Float.floatToRawIntBits(approximate[1][r]), Float.floatToRawIntBits(solo[0][r]), "batching changes nothing");
            }
        }
    }
}
