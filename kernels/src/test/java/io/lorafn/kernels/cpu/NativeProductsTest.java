package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The C products against the Vector API kernels: the same bits for every format, length, batch size, row
 * count and thread split, since both sum in one order. Runs wherever the build compiled the library and the
 * CPU runs it (every machine of this project's kind); elsewhere it reports itself skipped, with why. The
 * build runs it twice: on the build this CPU picks, and with {@code lorafn.cpu.kernels=avx2} on the AVX2 one.
 */
class NativeProductsTest {

    private static void assumeLoaded() {
        assumeTrue(NativeProducts.LOADED != null, "native kernels unavailable: " + NativeProducts.UNAVAILABLE);
    }

    @Test
    void aMachineThatCanRunTheLibraryLoadsIt() {
        String why = String.valueOf(NativeProducts.UNAVAILABLE);
        assertFalse(why.startsWith("the library did not load"), why); // built and supported, but broken: a defect
        try (CpuBackend backend = new CpuBackend(1)) {
            assertEquals(NativeProducts.LOADED != null ? NativeProducts.LOADED.build.name().toLowerCase(java.util.Locale.ROOT) : "vector",
                    backend.kernels());
        }
        try (CpuBackend vector = CpuBackend.vectorOnly(1)) {
            assertEquals("vector", vector.kernels());
        }
    }

    @Test
    void theBuildAskedForIsTheOneLoaded() {
        assumeLoaded();
        boolean avx512 = NativeProducts.CPU_FLAGS.containsAll(NativeProducts.Build.AVX512.requiredFlags);
        NativeProducts.Build expected = "avx2".equals(System.getProperty(NativeProducts.MODE_PROPERTY)) || !avx512
                ? NativeProducts.Build.AVX2 : NativeProducts.Build.AVX512;
        assertEquals(expected, NativeProducts.LOADED.build);
        // the AVX2 build's 8-bit products need nothing beyond it; the AVX-512 build's need VNNI, else the AVX2 build's serve
        assertTrue(NativeProducts.LOADED.hasInt8Products());
        assertEquals(expected == NativeProducts.Build.AVX2 || !NativeProducts.CPU_FLAGS.contains("avx512_vnni") ? NativeProducts.Build.AVX2 : NativeProducts.Build.AVX512,
                NativeProducts.LOADED.int8From);
    }

    @Test
    void anAvx512CpuWithoutVnniTakesTheAvx2BuildsEightBitProducts() {
        java.util.Set<String> skylake = new java.util.HashSet<>(NativeProducts.Build.AVX512.requiredFlags);
        skylake.addAll(NativeProducts.Build.AVX2.requiredFlags);
        assertEquals(NativeProducts.Build.AVX2, NativeProducts.int8Build(NativeProducts.Build.AVX512, skylake));
        skylake.add("avx512_vnni");
        assertEquals(NativeProducts.Build.AVX512, NativeProducts.int8Build(NativeProducts.Build.AVX512, skylake));
        assertEquals(NativeProducts.Build.AVX2, NativeProducts.int8Build(NativeProducts.Build.AVX2, NativeProducts.Build.AVX2.requiredFlags));
    }

    @Test
    void aTamperedUnpackedLibraryIsReplacedNotLoaded() throws Exception {
        assumeLoaded();
        java.nio.file.Path unpacked = NativeProducts.extractLibrary(NativeProducts.LOADED.build);
        byte[] good = java.nio.file.Files.readAllBytes(unpacked);
        java.nio.file.Files.delete(unpacked); // a new file, as a tamperer would make: this JVM has the old one mapped
        java.nio.file.Files.write(unpacked, new byte[] {0x7f, 'E', 'L', 'F', 0});
        assertEquals(unpacked, NativeProducts.extractLibrary(NativeProducts.LOADED.build));
        assertArrayEquals(good, java.nio.file.Files.readAllBytes(unpacked));
    }

    /** Unaligned on purpose (an odd offset), like a tensor inside a mapped file need not be. */
    static WeightMatrix matrix(Arena arena, WeightFormat format, SplittableRandom r, int rows, int cols) {
        MemorySegment seg = arena.allocate(format.matrixBytes(rows, cols) + 1).asSlice(1);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                row[j] = (float) r.nextGaussian() * (j % 7 == 0 ? 4 : 1); // uneven blocks: scales differ
            }
            CpuBackend.encodeRow(format, row, seg, format.rowOffset(i, cols));
        }
        return new WeightMatrix("w", format, seg, rows, cols);
    }

    /** Both backends' products of {@code m} with every sequence of {@code x}, bit for bit. */
    static void assertSameBits(CpuBackend expected, CpuBackend actual, WeightMatrix m, float[][] x, String what) {
        int batch = x.length;
        float[][] want = new float[batch][m.rows()], got = new float[batch][m.rows()];
        expected.matmul(m, x, want, batch);
        actual.matmul(m, x, got, batch);
        for (int b = 0; b < batch; b++) {
            assertArrayEquals(want[b], got[b], what + " sequence " + b);
        }
    }

    /** {@code batch} rows of {@code cols} standard normal values, drawn row after row. */
    static float[][] inputs(SplittableRandom r, int batch, int cols) {
        float[][] x = new float[batch][cols];
        for (float[] v : x) {
            for (int i = 0; i < cols; i++) {
                v[i] = (float) r.nextGaussian();
            }
        }
        return x;
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 96, 352, 544, 1056, 2048, 4096, 8192, 1, 7, 8, 31, 33, 100, 257}) // the C side blocks columns by 512; rows past 2048 columns have their own batch-1 loops
    void everyFormatGivesTheVectorApisBits(int cols) {
        assumeLoaded();
        SplittableRandom r = new SplittableRandom(cols);
        int rows = 37; // not a multiple of four: the batched path's last rows go one at a time
        for (WeightFormat format : new WeightFormat[] {WeightFormat.Q8_0, WeightFormat.Q4_0, WeightFormat.BF16}) {
            if (cols % format.blockSize() != 0) {
                continue;
            }
            try (Arena arena = Arena.ofShared(); CpuBackend c = new CpuBackend(2, Activations.F32); CpuBackend vector = CpuBackend.vectorOnly(2)) {
                WeightMatrix m = matrix(arena, format, r, rows, cols);
                for (int batch : new int[] {1, 2, 3, 8}) {
                    assertSameBits(vector, c, m, inputs(r, batch, cols), format + " cols " + cols + " batch " + batch);
                }
            }
        }
    }

    @Test
    void theThreadSplitChangesNoBitOnLargeMatrices() {
        assumeLoaded();
        SplittableRandom r = new SplittableRandom(5);
        int rows = 1500, cols = 1024; // above the size at which a product is split over the threads
        for (WeightFormat format : new WeightFormat[] {WeightFormat.Q8_0, WeightFormat.Q4_0, WeightFormat.BF16}) {
            try (Arena arena = Arena.ofShared(); CpuBackend three = new CpuBackend(3, Activations.F32); CpuBackend vector = CpuBackend.vectorOnly(1)) {
                assertSameBits(vector, three, matrix(arena, format, r, rows, cols), inputs(r, 5, cols), format.toString());
            }
        }
    }

    @Test
    void shortInputsAreRefusedBeforeTheyReachC() {
        assumeLoaded();
        SplittableRandom r = new SplittableRandom(6);
        try (Arena arena = Arena.ofShared(); CpuBackend backend = new CpuBackend(1)) {
            WeightMatrix m = matrix(arena, WeightFormat.Q8_0, r, 8, 256);
            assertThrows(IllegalArgumentException.class, () -> backend.matmul(m, new float[][] {new float[128]}, new float[1][8], 1));
            assertThrows(IllegalArgumentException.class,
                    () -> backend.matmul(m, new float[][] {new float[256], new float[100]}, new float[2][8], 2));
            assertThrows(IndexOutOfBoundsException.class, () -> backend.matmul(m, new float[][] {new float[256]}, new float[1][4], 1));
        }
    }
}
