package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Q8_0's and Q4_0's tiles of 16 interleaved rows (WeightFormat): the bytes sit where the format says, and every
 * product computes any range of rows, including ranges that start or end inside a tile and a last partial tile.
 */
class TilesTest {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void sizesAndOffsetsFollowTheTiles() {
        WeightFormat q4 = WeightFormat.Q4_0;
        assertEquals(18 * 3, q4.rowBytes(96)); // what a row costs to read
        assertEquals(1152, q4.tileBytes(96)); // 3 blocks: a pair and an unpaired block, 576 bytes each
        assertEquals(3 * 1152, q4.matrixBytes(37, 96)); // 37 rows: 3 tiles, the last padded
        assertEquals(1152 + 4, q4.rowOffset(17, 96));
        assertEquals(16 * 18 * 64, q4.matrixBytes(16, 2048)); // even blocks, whole tiles: no padding at all
        WeightFormat q8 = WeightFormat.Q8_0;
        assertEquals(34 * 3, q8.rowBytes(96));
        assertEquals(2176, q8.tileBytes(96)); // 1088 a pair
        assertEquals(3 * 2176, q8.matrixBytes(37, 96));
        assertEquals(2176 + 4, q8.rowOffset(17, 96));
        assertEquals(16 * 34 * 64, q8.matrixBytes(16, 2048));
        assertEquals(16, q4.rowGroup());
        assertEquals(16, q8.rowGroup());
        assertEquals(1, WeightFormat.BF16.rowGroup());
        assertEquals(2 * 7 * 10, WeightFormat.BF16.matrixBytes(7, 10));
    }

    /**
     * Row l's block b holds llama.cpp's values at the documented places: Q8_0's 34 bytes (scale, then 32 signed bytes),
     * Q4_0's 18 (scale, then byte j = q[j] | q[j+16] << 4). An unpaired last block's partner has no scale, and a last
     * partial tile's padding rows are zero.
     */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void eachRowsBlockIsLlamaCppsBytesInterleaved(WeightFormat format) {
        int rows = 20, cols = 96;
        boolean q8 = format == WeightFormat.Q8_0;
        int pairBytes = q8 ? 1088 : 576, blockWords = q8 ? 512 : 256;
        SplittableRandom r = new SplittableRandom(q8 ? 6 : 5);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            float[] row = new float[cols];
            for (int i = 0; i < rows; i++) {
                CpuBackend.decodeRow(m, i, row);
                long tile = (long) (i / 16) * format.tileBytes(cols);
                for (int b = 0; b < 3; b++) {
                    long pair = tile + (long) pairBytes * (b / 2);
                    float d = Float.float16ToFloat(m.data().get(SHORT, pair + 4L * (i % 16) + 2 * (b % 2)));
                    long words = pair + 64 + (long) blockWords * (b % 2) + 4L * (i % 16);
                    for (int j = 0; j < 32; j++) {
                        int k = q8 ? j : j % 16; // Q4_0: weight j and j + 16 share byte j
                        byte stored = m.data().get(ValueLayout.JAVA_BYTE, words + 64L * (k / 4) + k % 4);
                        float q = q8 ? stored : ((stored >> (j < 16 ? 0 : 4)) & 0x0F) - 8;
                        assertEquals(d * q, row[32 * b + j], format + " row " + i + " block " + b + " weight " + j);
                    }
                }
            }
            assertEquals(0, m.data().get(SHORT, pairBytes + 2), "an unpaired block's partner has no scale");
            long tile1 = format.tileBytes(cols); // rows 16..19: lanes 4..15 of every 64-byte line are padding rows
            for (long line = tile1; line < 2 * tile1; line += 64) {
                for (long o = line + 16; o < line + 64; o++) {
                    assertEquals(0, m.data().get(ValueLayout.JAVA_BYTE, o), format + " padding at " + o);
                }
            }
        }
    }

    /** The Java tile products (Vector API, a row per lane) give their format's dot, bit for bit, at this JVM's vector width. */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void vectorTileProductsGiveTheDotsBits(WeightFormat format) {
        assertEquals(null, TilesCheck.mismatch(format));
    }

    /** The same at every width a CPU may prefer (a tile's 16 rows in 1, 2 or 4 parts), each in a JVM of its own. */
    @ParameterizedTest
    @ValueSource(ints = {4, 8, 16})
    void vectorTileProductsGiveTheDotsBitsAtEveryWidth(int lanes) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-D" + Tiles.LANES_PROPERTY + "=" + lanes, "-cp",
                System.getProperty("java.class.path"), TilesCheck.class.getName()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        assertTrue(output.contains("lanes " + lanes + ": ok"), output);
    }

    /** The C products (exact and 8-bit) from rows that start and end inside tiles, against the Java kernels. */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void productsOfRowRangesInsideTilesAgreeWithJava(WeightFormat format) {
        assumeTrue(NativeProducts.LOADED != null, "no C products on this machine");
        int rows = 45, cols = 160;
        SplittableRandom r = new SplittableRandom(9);
        RowKernel kernel = CpuBackend.kernel(format);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            float[][] x = NativeProductsTest.inputs(r, 3, cols);
            float[] packed = NativeProducts.LOADED.pack(x, 3, cols, new float[3 * cols]);
            int[][] ranges = {{0, 45}, {5, 13}, {3, 40}, {16, 32}, {31, 45}, {44, 45}};
            for (int[] range : ranges) {
                int from = range[0], to = range[1];
                float[] want = new float[rows], got = new float[rows];
                for (int i = from; i < to; i++) {
                    want[i] = kernel.dot(m.data(), m.rowOffset(i), x[0], cols);
                }
                NativeProducts.LOADED.matvec(m, x[0], got, from, to);
                assertArrayEquals(want, got, "exact matvec rows " + from + ".." + to);
                float[][] batched = new float[3][rows];
                NativeProducts.LOADED.matmul(m, packed, 3, batched, from, to, new float[3 * (to - from)]);
                for (int s = 0; s < 3; s++) {
                    float[] solo = new float[rows];
                    for (int i = from; i < to; i++) {
                        solo[i] = kernel.dot(m.data(), m.rowOffset(i), x[s], cols);
                    }
                    assertArrayEquals(solo, batched[s], "exact matmul rows " + from + ".." + to + " sequence " + s);
                }
                if (NativeProducts.LOADED.hasInt8Products()) {
                    for (int batch : new int[] {1, 3}) {
                        QuantizedActivations q = QuantizedActivations.of(x, batch, cols);
                        float[][] java = new float[batch][rows], c = new float[batch][rows];
                        Int8Products.multiply(m, q, java, from, to);
                        NativeProducts.LOADED.int8.multiply(m, q, c, from, to, new float[batch * (to - from)]);
                        for (int s = 0; s < batch; s++) {
                            assertArrayEquals(java[s], c[s], "8-bit rows " + from + ".." + to + " batch " + batch + " sequence " + s);
                        }
                    }
                }
            }
        }
    }

    /** Thread slices start on whole tiles, so a product split over threads equals the one-thread product. */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0"})
    void aProductSplitOverThreadsEqualsTheOneThreadProduct(WeightFormat format) {
        int rows = 1000, cols = 1024; // > 512 KiB: split
        SplittableRandom r = new SplittableRandom(2);
        for (Activations a : Activations.values()) {
            try (Arena arena = Arena.ofShared(); CpuBackend three = new CpuBackend(3, a); CpuBackend one = new CpuBackend(1, a)) {
                WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
                float[][] x = NativeProductsTest.inputs(r, 1, cols);
                float[][] split = new float[1][rows], whole = new float[1][rows];
                three.matmul(m, x, split, 1);
                one.matmul(m, x, whole, 1);
                assertArrayEquals(whole[0], split[0], a.toString());
            }
        }
    }

    /** The Java tile kernel converts scales in vector lanes: the same floats as float16ToFloat for every finite F16. */
    @Test
    void vectorScaleConversionMatchesFloat16ToFloatForEveryFiniteHalf() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment line = arena.allocate(576 * 2, 64);
            for (int base = 0; base < 1 << 16; base += 32) {
                for (int l = 0; l < 16; l++) { // block 0 in the low half of each word, block 1 in the high half
                    line.set(SHORT, 4L * l, (short) (base + l));
                    line.set(SHORT, 4L * l + 2, (short) (base + 16 + l));
                }
                float[] even = scalesOfSixteen(line, 0), odd = scalesOfSixteen(line, 1);
                for (int l = 0; l < 16; l++) {
                    check(base + l, even[l]);
                    check(base + 16 + l, odd[l]);
                }
            }
        }
    }

    /** Block b's 16 scales of the line, through as many vectors as this JVM's tiles take. */
    private static float[] scalesOfSixteen(MemorySegment line, int b) {
        float[] all = new float[16];
        for (int part = 0; part < 16 / Tiles.LANES; part++) {
            System.arraycopy(Tiles.scales(line, 4L * Tiles.LANES * part, 576, b).toArray(), 0, all, part * Tiles.LANES, Tiles.LANES);
        }
        return all;
    }

    private static void check(int half, float got) {
        float want = Float.float16ToFloat((short) half);
        if (Float.isFinite(want)) {
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "F16 0x" + Integer.toHexString(half));
        }
    }
}
