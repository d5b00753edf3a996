package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CpuBackendTest {

    /** A matrix stored at an odd offset, so unaligned access is exercised too. */
    private static WeightMatrix matrix(Arena arena, WeightFormat format, float[] values, int rows, int cols) {
        MemorySegment seg = arena.allocate(format.matrixBytes(rows, cols) + 1).asSlice(1);
        for (int r = 0; r < rows; r++) {
            CpuBackend.encodeRow(format, java.util.Arrays.copyOfRange(values, r * cols, (r + 1) * cols), seg, format.rowOffset(r, cols));
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
            if (cols % format.blockSize() != 0) {
                continue;
            }
            try (Arena arena = Arena.ofConfined(); CpuBackend backend = new CpuBackend(1)) {
                WeightMatrix m = matrix(arena, format, random(r, rows * cols, false), rows, cols);
                float[][] x = new float[batch][];
                for (int b = 0; b < batch; b++) {
                    x[b] = random(r, cols, false);
                }
                float[][] out = new float[batch][rows];
                backend.matmul(m, x, out, batch);
                float[] decoded = new float[cols];
                for (int row = 0; row < rows; row++) {
                    backend.dequantizeRow(m, row, decoded);
                    for (int b = 0; b < batch; b++) {
                        double expected = 0;
                        for (int i = 0; i < cols; i++) {
                            expected += (double) decoded[i] * x[b][i];
                        }
                        assertEquals(expected, out[b][row], 1e-5 * Math.sqrt(cols) * 4, format + " row " + row);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"BF16", "Q8_0", "Q4_0"})
    void quantizationErrorIsWithinTheFormatsStep(String name) {
        WeightFormat format = WeightFormat.valueOf(name);
        SplittableRandom r = new SplittableRandom(3);
        int cols = 256;
        float[] row = random(r, cols, false);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix m = matrix(arena, format, row, 1, cols);
            float[] back = new float[cols];
            CpuBackend.decodeRow(m, 0, back);
            for (int block = 0; block < cols; block += 32) {
                float amax = 0;
                for (int i = block; i < block + 32; i++) {
                    amax = Math.max(amax, Math.abs(row[i]));
                }
                // Half a quantization step, plus the F16 rounding of the scale.
                double step = switch (format) {
                    case Q8_0 -> amax / 127 * 0.5 + amax * 1e-3;
                    case Q4_0 -> amax / 8 + amax * 1e-3; // q spans -8..7: the far side clamps at 7, a whole step
                    default -> amax / 256;
                };
                for (int i = block; i < block + 32; i++) {
                    assertEquals(row[i], back[i], step + 1e-7, format + " value " + i);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {320, 352, 200}) // 10 and 11 blocks of 32 (the tiled path); 200 (the three-row path)
    void batchedAndSoloProductsAgreeBitwiseInEveryFormat(int cols) {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 70; // not a multiple of 4 or 3: the tail rows go one at a time
        for (WeightFormat format : WeightFormat.values()) {
            if (cols % format.blockSize() != 0) {
                continue;
            }
            try (Arena arena = Arena.ofShared(); CpuBackend backend = new CpuBackend(2)) {
                WeightMatrix m = matrix(arena, format, random(r, rows * cols, false), rows, cols);
                for (int batch : new int[] {2, 5}) { // an odd batch ends with a one-sequence tile
                    float[][] x = new float[batch][];
                    for (int b = 0; b < batch; b++) {
                        x[b] = random(r, cols, false);
                    }
                    float[][] batched = new float[batch][rows];
                    backend.matmul(m, x, batched, batch);
                    for (int b = 0; b < batch; b++) {
                        float[][] alone = new float[1][rows];
                        backend.matmul(m, new float[][] {x[b]}, alone, 1);
                        assertArrayEquals(alone[0], batched[b], format + " sequence " + b + " of " + batch);
                    }
                }
            }
        }
    }

    @Test
    void threadSplitAndBatchSizeDoNotChangeAnyBit() {
        SplittableRandom r = new SplittableRandom(9);
        int rows = 2000, cols = 512; // large enough in every format to be split across threads
        for (WeightFormat format : WeightFormat.values()) {
            try (Arena arena = Arena.ofShared(); CpuBackend one = new CpuBackend(1); CpuBackend three = new CpuBackend(3)) {
                WeightMatrix m = matrix(arena, format, random(r, rows * cols, true), rows, cols);
                float[][] x = {random(r, cols, false), random(r, cols, false), random(r, cols, false)};
                for (int repeat = 0; repeat < 3; repeat++) { // the helper threads run back-to-back jobs
                    float[][] batched = new float[3][rows];
                    three.matmul(m, x, batched, 3);
                    float[][] solo = new float[1][rows];
                    three.matmul(m, new float[][] {x[1]}, solo, 1);
                    for (int b = 0; b < 3; b++) {
                        float[][] alone = new float[1][rows];
                        one.matmul(m, new float[][] {x[b]}, alone, 1);
                        assertArrayEquals(alone[0], batched[b], format + " sequence " + b);
                    }
                    assertArrayEquals(solo[0], batched[1], format + " solo on three threads");
                }
            }
        }
    }

    @Test
    void matricesSharingAnInputGiveWhatEachGivesAlone() {
        SplittableRandom r = new SplittableRandom(11);
        int cols = 512;
        for (WeightFormat format : WeightFormat.values()) {
            try (Arena arena = Arena.ofShared(); CpuBackend backend = new CpuBackend(2)) {
                // two large enough to be split over the threads, one small enough to run on one
                List<WeightMatrix> ws = List.of(matrix(arena, format, random(r, 1200 * cols, false), 1200, cols),
                        matrix(arena, format, random(r, 8 * cols, false), 8, cols), matrix(arena, format, random(r, 900 * cols, false), 900, cols));
                for (int batch : new int[] {1, 3}) {
                    float[][] x = new float[batch][];
                    for (int b = 0; b < batch; b++) {
                        x[b] = random(r, cols, false);
                    }
                    List<float[][]> together = ws.stream().map(w -> new float[batch][w.rows()]).toList();
                    backend.matmulEach(ws, x, together, batch);
                    for (int i = 0; i < ws.size(); i++) {
                        float[][] alone = new float[batch][ws.get(i).rows()];
                        backend.matmul(ws.get(i), x, alone, batch);
                        for (int b = 0; b < batch; b++) {
                            assertArrayEquals(alone[b], together.get(i)[b], format + " matrix " + i + " sequence " + b);
                        }
                    }
                }
            }
        }
    }

    @Test
    void aFailingSliceIsReportedAndTheBackendStaysUsable() {
        SplittableRandom r = new SplittableRandom(10);
        int rows = 2000, cols = 512;
        try (Arena arena = Arena.ofShared(); CpuBackend backend = new CpuBackend(2)) {
            WeightMatrix m = matrix(arena, WeightFormat.F32, random(r, rows * cols, false), rows, cols);
            float[][] shortX = {new float[cols / 2]};
            assertThrows(RuntimeException.class, () -> backend.matmul(m, shortX, new float[1][rows], 1));
            float[][] out = new float[1][rows];
            backend.matmul(m, new float[][] {random(r, cols, false)}, out, 1);
            assertTrue(Float.isFinite(out[0][rows - 1]));
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
        Attention.attend(q, new float[][] {k}, new float[][] {val}, new int[] {0}, 1, 2, 1, 2, 0, 1, new float[1], out);
        assertArrayEquals(new float[] {0.25f, -2f, 0.25f, -2f}, out);
    }

    /**
     * Paged attention against a double-precision reference: head dims 64 and 72 (whole vectors and a tail) and 65 (an
     * odd one), four query heads a kv head and three (a head left over from the pairs), blocks of 4 positions (fewer
     * than a vector's lanes) and of 16, and a first visible position inside a block. Split by heads, over a 3-thread
     * backend's forEach by kv head and at an odd head: the same bits as one call.
     */
    @ParameterizedTest
    @CsvSource({"8, 64, 4", "8, 72, 4", "6, 65, 4", "8, 64, 16", "6, 72, 16"})
    void attentionMatchesAReferenceAndSplitsByHeadsBitForBit(int heads, int headDim, int blockPositions) {
        int kvHeads = 2, positions = 4 * blockPositions + 3, kvDim = kvHeads * headDim, from = 2 + blockPositions, blocks = 6;
        SplittableRandom r = new SplittableRandom(headDim + 100L * heads + blockPositions);
        float[][] keys = new float[blocks][blockPositions * kvDim], values = new float[blocks][blockPositions * kvDim];
        float[][] keyRows = new float[positions][kvDim];
        int[] table = {5, 0, 3, 1, 4, 2}; // pages out of order
        for (int t = 0; t < Math.min(positions, blocks * blockPositions); t++) {
            for (int i = 0; i < kvDim; i++) {
                keyRows[t][i] = (float) r.nextGaussian();
                values[table[t / blockPositions]][(t % blockPositions) * kvDim + i] = (float) r.nextGaussian();
            }
            Attention.storeKeys(keys[table[t / blockPositions]], t % blockPositions, keyRows[t], kvDim, blockPositions);
        }
        float[] q = new float[heads * headDim];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) r.nextGaussian() * 0.3f;
        }
        float[] whole = new float[heads * headDim];
        Attention.attend(q, keys, values, table, blockPositions, heads, kvHeads, headDim, from, positions, new float[positions], whole);
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kvHeads);
            double[] score = new double[positions];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t = from; t < positions; t++) {
                for (int i = 0; i < headDim; i++) {
                    score[t] += (double) q[h * headDim + i] * keyRows[t][g * headDim + i];
                }
                score[t] /= Math.sqrt(headDim);
                max = Math.max(max, score[t]);
            }
            for (int t = from; t < positions; t++) {
                sum += Math.exp(score[t] - max);
            }
            for (int i = 0; i < headDim; i++) {
                double o = 0;
                for (int t = from; t < positions; t++) {
                    o += Math.exp(score[t] - max) / sum * values[table[t / blockPositions]][(t % blockPositions) * kvDim + g * headDim + i];
                }
                assertEquals(o, whole[h * headDim + i], 1e-5, "head " + h + " dim " + i);
            }
        }
        float[] split = new float[heads * headDim];
        int scratch = Attention.scratchLength(positions);
        try (CpuBackend three = new CpuBackend(3)) {
            three.forEach(kvHeads, g -> Attention.attendHeads(q, keys, values, table, blockPositions, heads, kvHeads, headDim, from, positions,
                    g * (heads / kvHeads), (g + 1) * (heads / kvHeads), new float[scratch], split));
        }
        assertArrayEquals(whole, split);
        float[] odd = new float[heads * headDim];
        Attention.attendHeads(q, keys, values, table, blockPositions, heads, kvHeads, headDim, from, positions, 0, 1, new float[scratch], odd);
        Attention.attendHeads(q, keys, values, table, blockPositions, heads, kvHeads, headDim, from, positions, 1, heads, new float[scratch], odd);
        assertArrayEquals(whole, odd);
    }
}
