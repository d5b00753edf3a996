package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Products on 8-bit activations: the C products give the Java definition's bits, a batch gives each
 * sequence its solo bits, exact cases come out exact, and the rest stays close to the F32 product.
 */
class Int8ProductsTest {
    private static final WeightFormat[] FORMATS = {WeightFormat.Q8_0, WeightFormat.Q4_0};

    private static float[][] inputs(SplittableRandom r, int batch, int cols) {
        float[][] x = new float[batch][cols];
        for (float[] v : x) {
            for (int i = 0; i < cols; i++) {
                v[i] = (float) r.nextGaussian() * (i % 5 == 0 ? 3 : 1);
            }
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 96, 160, 544, 1056, 2048}) // odd block counts end on an unpaired block; 16 blocks a column block in C
    void theCProductsGiveTheJavaDefinitionsBits(int cols) {
        assumeTrue(NativeProducts.LOADED != null && NativeProducts.LOADED.hasInt8Products(), "no C 8-bit products on this CPU");
        SplittableRandom r = new SplittableRandom(cols);
        int rows = 37; // not a multiple of four: the batched C path's last rows are a short group
        for (WeightFormat format : FORMATS) {
            try (Arena arena = Arena.ofShared(); CpuBackend c = new CpuBackend(2, Activations.Q8);
                 CpuBackend java = CpuBackend.vectorOnly(2, Activations.Q8)) {
                WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
                for (int batch : new int[] {1, 2, 3, 8}) {
                    NativeProductsTest.assertSameBits(java, c, m, inputs(r, batch, cols), format + " cols " + cols + " batch " + batch);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void aSequenceGetsItsSoloBitsInAnyBatchAndThreadSplit(WeightFormat format) {
        SplittableRandom r = new SplittableRandom(11);
        int rows = 1500, cols = 1056; // large enough to be split over the threads
        try (Arena arena = Arena.ofShared(); CpuBackend three = new CpuBackend(3, Activations.Q8); CpuBackend one = new CpuBackend(1, Activations.Q8)) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            float[][] x = inputs(r, 6, cols);
            float[][] batched = new float[6][rows];
            three.matmul(m, x, batched, 6);
            for (int b = 0; b < 6; b++) {
                float[][] solo = new float[1][rows];
                one.matmul(m, new float[][] {x[b]}, solo, 1);
                assertArrayEquals(solo[0], batched[b], format + " sequence " + b);
            }
        }
    }

    /** The backend writes each product's quantized input over the last one of that shape: nothing of an earlier input leaks into a later product. */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void aReusedQuantizedInputHoldsOnlyTheCurrentInput(WeightFormat format) {
        SplittableRandom r = new SplittableRandom(5);
        int rows = 64, cols = 96; // three blocks: the interleaved batch layout ends on an unpaired, zero-padded block
        try (Arena arena = Arena.ofShared(); CpuBackend reused = new CpuBackend(2, Activations.Q8)) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            for (int batch : new int[] {1, 3}) {
                float[][] first = inputs(r, batch, cols), second = inputs(r, batch, cols);
                float[][] firstOut = new float[batch][rows], secondOut = new float[batch][rows], again = new float[batch][rows];
                reused.matmul(m, first, firstOut, batch);
                reused.matmul(m, second, secondOut, batch);
                reused.matmul(m, first, again, batch);
                for (int b = 0; b < batch; b++) {
                    assertArrayEquals(firstOut[b], again[b], format + " batch " + batch + " sequence " + b);
                }
                try (CpuBackend fresh = new CpuBackend(2, Activations.Q8)) {
                    float[][] expected = new float[batch][rows];
                    fresh.matmul(m, second, expected, batch);
                    for (int b = 0; b < batch; b++) {
                        assertArrayEquals(expected[b], secondOut[b], format + " batch " + batch + " sequence " + b);
                    }
                }
            }
        }
    }

    /** Activations that 8 bits hold exactly (multiples of 0.5 up to ±63.5): the product is the exact one, to F32 rounding. */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void exactlyRepresentableActivationsGiveTheExactProduct(WeightFormat format) {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 9, cols = 96;
        try (Arena arena = Arena.ofShared(); CpuBackend backend = new CpuBackend(1, Activations.Q8)) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = i % 32 == 5 ? (i % 64 == 5 ? 63.5f : -63.5f) : 0.5f * (r.nextInt(255) - 127); // amax 63.5 per block: dx = 0.5
            }
            float[][] out = new float[1][rows];
            backend.matmul(m, new float[][] {x}, out, 1);
            float[] w = new float[cols];
            for (int row = 0; row < rows; row++) {
                CpuBackend.decodeRow(m, row, w);
                double exact = 0, magnitude = 0;
                for (int i = 0; i < cols; i++) {
                    exact += (double) w[i] * x[i];
                    magnitude += Math.abs((double) w[i] * x[i]);
                }
                assertEquals(exact, out[0][row], 1e-6 * magnitude, format + " row " + row);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void staysWithinOnePercentOfTheExactProduct(WeightFormat format) {
        SplittableRandom r = new SplittableRandom(17);
        int rows = 256, cols = 2048;
        try (Arena arena = Arena.ofShared(); CpuBackend int8 = new CpuBackend(2, Activations.Q8); CpuBackend exact = new CpuBackend(2, Activations.F32)) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            float[][] x = inputs(r, 2, cols);
            float[][] approximate = new float[2][rows], reference = new float[2][rows];
            int8.matmul(m, x, approximate, 2);
            exact.matmul(m, x, reference, 2);
            for (int b = 0; b < 2; b++) {
                double error = 0, norm = 0;
                for (int i = 0; i < rows; i++) {
                    error += Math.pow(approximate[b][i] - reference[b][i], 2);
                    norm += Math.pow(reference[b][i], 2);
                }
                double relative = Math.sqrt(error / norm);
                assertTrue(relative < 0.01 && relative > 0, format + ": relative error " + relative);
            }
        }
    }

    @Test
    void theCQuantizerGivesTheJavaOnesBytes() {
        assumeTrue(NativeProducts.LOADED != null && NativeProducts.LOADED.hasInt8Products(), "no C 8-bit products on this CPU");
        SplittableRandom r = new SplittableRandom(23);
        int n = 160, batch = 3;
        float[][] x = inputs(r, batch, n);
        x[1][0] = 127f; // a block whose values land on halves: dx = 1, so 2.5 and -0.5 are ties
        x[1][1] = 2.5f;
        x[1][2] = -0.5f;
        java.util.Arrays.fill(x[2], 64, 96, 0f); // a block of zeros
        QuantizedActivations java = QuantizedActivations.of(x, batch, n), c = QuantizedActivations.of(x, batch, n, NativeProducts.LOADED.int8, null);
        assertArrayEquals(java.values, c.values);
        assertArrayEquals(java.blockScales, c.blockScales);
        assertArrayEquals(java.blockSums, c.blockSums);
        assertEquals(2, c.q(1, 1));
        assertEquals(0, c.q(1, 2));
    }

    @Test
    void quantizationRoundsToNearestAndKeepsZeroBlocksZero() {
        float[] x = new float[64];
        x[0] = 127f;
        x[1] = 0.5f;   // 0.5 rounds to even: 0
        x[2] = 1.5f;   // 2
        x[3] = -2.5f;  // -2
        x[4] = -127f;  // amax is 127 either way: dx = 1
        QuantizedActivations q = QuantizedActivations.of(new float[][] {x}, 1, 64);
        assertEquals(1f, q.scale(0, 0));
        assertEquals(127, q.q(0, 0));
        assertEquals(0, q.q(0, 1));
        assertEquals(2, q.q(0, 2));
        assertEquals(-2, q.q(0, 3));
        assertEquals(-127, q.q(0, 4));
        assertEquals(0f, q.scale(0, 40)); // the second block is all zeros
        assertEquals(0, q.q(0, 40));
        assertThrows(IllegalArgumentException.class, () -> QuantizedActivations.of(new float[][] {new float[48]}, 1, 48));
        assertThrows(IllegalArgumentException.class, () -> QuantizedActivations.of(new float[][] {new float[32]}, 1, 64));
        assertThrows(IllegalArgumentException.class, () -> Activations.parse("int4"));
        assertEquals(Activations.Q8, Activations.parse(" Q8 "));
    }

    @Test
    void f32WeightsKeepF32ActivationsAndBf16WeightsTakeBf16OnesWhereTheCpuHasThem() {
        assertTrue(Activations.Q8.quantizes(WeightFormat.Q4_0));
        assertTrue(!Activations.Q8.quantizes(WeightFormat.BF16) && !Activations.Q8.quantizes(WeightFormat.F32));
        assertTrue(!Activations.F32.quantizes(WeightFormat.Q8_0));
        SplittableRandom r = new SplittableRandom(2);
        try (Arena arena = Arena.ofShared(); CpuBackend int8 = new CpuBackend(1, Activations.Q8); CpuBackend exact = new CpuBackend(1, Activations.F32)) {
            WeightMatrix f32 = NativeProductsTest.matrix(arena, WeightFormat.F32, r, 16, 64);
            float[][] x = inputs(r, 1, 64);
            float[][] a = new float[1][16], b = new float[1][16];
            int8.matmul(f32, x, a, 1);
            exact.matmul(f32, x, b, 1);
            assertArrayEquals(b[0], a[0]);
            WeightMatrix bf16 = NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 16, 64);
            int8.matmul(bf16, x, a, 1);
            exact.matmul(bf16, x, b, 1);
            if (int8.bf16Activations()) { // llama.cpp's vec_dot_type for BF16, through AVX512_BF16 (Bf16DotTest)
                short[] rounded = Bf16Dot.round(x, 1, 64);
                for (int row = 0; row < 16; row++) {
                    assertEquals(Float.floatToRawIntBits(Bf16Dot.dot(bf16, row, rounded, 0)), Float.floatToRawIntBits(a[0][row]), "row " + row);
                }
            } else {
                assertArrayEquals(b[0], a[0]);
            }
        }
    }
}
