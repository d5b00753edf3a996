package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Batched LoRA (SGMV) on the CPU: the C shrink (F32 and BF16 adapters, whole 32-column blocks) and expand (F32 and BF16)
 * give the Java path's bits, every path agrees with a double-precision reference, and rows in no segment are untouched;
 * {@code projectEach} gives the bits of the calls it stands for.
 */
class LoraProductsTest {

    @ParameterizedTest
    @CsvSource({"F32, 256, 200", "F32, 96, 72", "F32, 96, 88", "F32, 40, 24", "BF16, 256, 200", "BF16, 96, 88", "BF16, 40, 24"}) // 40: not whole blocks, Java computes; 88 = 64 + 16 + 8 outputs
    void segmentsOfDifferentRanksMatchTheJavaPathAndAReference(WeightFormat format, int in, int out) {
        SplittableRandom r = new SplittableRandom(in + out);
        try (Arena arena = Arena.ofShared(); CpuBackend c = new CpuBackend(2); CpuBackend java = CpuBackend.vectorOnly(2)) {
            // rank 12: the C shrink takes eight rows side by side, then four one by one
            WeightMatrix a1 = NativeProductsTest.matrix(arena, format, r, 12, in), b1 = NativeProductsTest.matrix(arena, format, r, 12, out);
            WeightMatrix a2 = NativeProductsTest.matrix(arena, format, r, 16, in), b2 = NativeProductsTest.matrix(arena, format, r, 16, out);
            List<LoraSegment> segments = List.of(new LoraSegment(a1, b1, 0.5f, new int[] {0, 3}), new LoraSegment(a2, b2, 2f, new int[] {1}));
            float[][] x = NativeProductsTest.inputs(r, 5, in), base = NativeProductsTest.inputs(r, 5, out);
            float[][] viaC = copy(base), viaJava = copy(base);
            c.addLora(segments, x, viaC);
            java.addLora(segments, x, viaJava);
            for (int row = 0; row < 5; row++) {
                assertArrayEquals(viaJava[row], viaC[row], format + " row " + row);
            }
            assertArrayEquals(base[2], viaC[2], "a row in no segment is untouched");
            assertArrayEquals(base[4], viaC[4], "a row in no segment is untouched");
            for (LoraSegment s : segments) {
                for (int row : s.rows()) {
                    double[] want = reference(s, x[row], base[row]);
                    for (int o = 0; o < out; o++) {
                        assertEquals(want[o], viaC[row][o], 1e-4 * (1 + Math.abs(want[o])), format + " row " + row + " output " + o);
                    }
                }
            }
        }
    }

    /** The engine's one call per group of projections gives the bits of the products and then SGMV, called one by one. */
    @org.junit.jupiter.api.Test
    void projectEachIsTheProductsThenTheAdaptersBitForBit() {
        SplittableRandom r = new SplittableRandom(5);
        int in = 256, batch = 4;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(2)) {
            List<WeightMatrix> ws = List.of(NativeProductsTest.matrix(arena, WeightFormat.Q8_0, r, 96, in),
                    NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 64, in), NativeProductsTest.matrix(arena, WeightFormat.Q4_0, r, 32, in));
            List<LoraSegment> onFirst = List.of(new LoraSegment(NativeProductsTest.matrix(arena, WeightFormat.F32, r, 8, in),
                    NativeProductsTest.matrix(arena, WeightFormat.F32, r, 8, 96), 0.5f, new int[] {0, 2}));
            List<LoraSegment> onThird = List.of(new LoraSegment(NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 16, in),
                    NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 16, 32), 2f, new int[] {3}));
            float[][] x = NativeProductsTest.inputs(r, batch, in);
            for (List<List<LoraSegment>> lora : List.of(List.<List<LoraSegment>>of(), List.of(onFirst, List.<LoraSegment>of(), onThird))) {
                List<float[][]> together = List.of(new float[batch][96], new float[batch][64], new float[batch][32]);
                List<float[][]> oneByOne = List.of(new float[batch][96], new float[batch][64], new float[batch][32]);
                cpu.projectEach(ws, lora, x, together, batch);
                for (int i = 0; i < ws.size(); i++) {
                    cpu.matmul(ws.get(i), x, oneByOne.get(i), batch);
                    if (!lora.isEmpty()) {
                        cpu.addLora(lora.get(i), x, oneByOne.get(i));
                    }
                    for (int b = 0; b < batch; b++) {
                        assertArrayEquals(oneByOne.get(i)[b], together.get(i)[b], "projection " + i + ", row " + b + ", adapters " + !lora.isEmpty());
                    }
                }
            }
            float[][] single = new float[batch][96], alone = new float[batch][96];
            cpu.projectEach(ws.subList(0, 1), List.of(onFirst), x, List.<float[][]>of(single), batch);
            cpu.matmul(ws.get(0), x, alone, batch);
            cpu.addLora(onFirst, x, alone);
            for (int b = 0; b < batch; b++) {
                assertArrayEquals(alone[b], single[b], "one projection, row " + b);
            }
        }
    }

    /**
     * With 8-bit activations at batch 2 or more each thread's rows go in chunks, each chunk's expand after its base
     * product ({@link FusedLora}): still the bits of the products, then the adapters. The shapes split into two threads'
     * slices of a chunk and a remainder; ranks, dtypes and scales differ, one B is on the heap (not prefetched) and one
     * row has no adapter.
     */
    @ParameterizedTest
    @CsvSource({"2, 8", "2, 3", "1, 8", "2, 9"})
    void eightBitProjectionsWithTheirExpandFusedGiveTheUnfusedBits(int threads, int batch) {
        SplittableRandom r = new SplittableRandom(threads * 31 + batch);
        int in = 1024;
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(threads, io.lorafn.kernels.Activations.Q8)) {
            List<WeightMatrix> ws = List.of(NativeProductsTest.matrix(arena, WeightFormat.Q4_0, r, 1200, in),
                    NativeProductsTest.matrix(arena, WeightFormat.Q8_0, r, 1208, in), NativeProductsTest.matrix(arena, WeightFormat.Q4_0, r, 64, in));
            int[] outs = {1200, 1208, 64};
            List<List<LoraSegment>> lora = new java.util.ArrayList<>();
            for (int i = 0; i < ws.size(); i++) {
                int out = outs[i];
                WeightMatrix heapB = new WeightMatrix("heap", WeightFormat.BF16,
                        java.lang.foreign.MemorySegment.ofArray(new byte[(int) WeightFormat.BF16.matrixBytes(8, out)]), 8, out);
                float[] row = new float[out];
                for (int k = 0; k < 8; k++) {
                    for (int o = 0; o < out; o++) {
                        row[o] = (float) r.nextGaussian();
                    }
                    CpuBackend.encodeRow(WeightFormat.BF16, row, heapB.data(), heapB.rowOffset(k));
                }
                lora.add(List.of(
                        new LoraSegment(NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 16, in), NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 16, out),
                                2f, new int[] {0, batch - 1}),
                        new LoraSegment(NativeProductsTest.matrix(arena, WeightFormat.F32, r, 12, in), NativeProductsTest.matrix(arena, WeightFormat.F32, r, 12, out),
                                0.5f, new int[] {1}),
                        new LoraSegment(NativeProductsTest.matrix(arena, WeightFormat.BF16, r, 8, in), heapB, 1f, new int[] {2})));
            }
            float[][] x = NativeProductsTest.inputs(r, batch, in);
            List<float[][]> fused = List.of(new float[batch][1200], new float[batch][1208], new float[batch][64]);
            cpu.projectEach(ws, lora, x, fused, batch);
            for (int i = 0; i < ws.size(); i++) {
                float[][] oneByOne = new float[batch][outs[i]], bare = new float[batch][outs[i]];
                cpu.matmul(ws.get(i), x, oneByOne, batch);
                cpu.matmul(ws.get(i), x, bare, batch);
                cpu.addLora(lora.get(i), x, oneByOne);
                for (int b = 0; b < batch; b++) {
                    assertArrayEquals(oneByOne[b], fused.get(i)[b], "projection " + i + ", row " + b);
                }
                if (batch > 3) {
                    assertArrayEquals(bare[3], fused.get(i)[3], "a row with no adapter gets the bare product");
                }
                assertNotEquals(bare[0][0], fused.get(i)[0][0], "the adapter was added");
            }
        }
    }

    private static double[] reference(LoraSegment s, float[] x, float[] y) {
        int rank = s.a().rows(), in = s.a().cols(), out = s.bTransposed().cols();
        float[] a = new float[in], b = new float[out];
        double[] result = new double[out];
        for (int o = 0; o < out; o++) {
            result[o] = y[o];
        }
        for (int k = 0; k < rank; k++) {
            CpuBackend.decodeRow(s.a(), k, a);
            CpuBackend.decodeRow(s.bTransposed(), k, b);
            double shrunk = 0;
            for (int i = 0; i < in; i++) {
                shrunk += (double) a[i] * x[i];
            }
            for (int o = 0; o < out; o++) {
                result[o] += s.scale() * shrunk * b[o];
            }
        }
        return result;
    }

    private static float[][] copy(float[][] m) {
        float[][] c = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }
}
