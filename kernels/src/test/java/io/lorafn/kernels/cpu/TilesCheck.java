package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * {@link Tiles}' products against their format's scalar dot, bit for bit, on ranges of rows that start and end inside
 * tiles and for every sequence of a batch. TilesTest runs it in its own JVM for each width ({@value Tiles#LANES_PROPERTY}),
 * since the width is fixed when {@link Tiles} initializes.
 */
final class TilesCheck {
    private TilesCheck() {
    }

    public static void main(String[] args) {
        for (WeightFormat format : new WeightFormat[] {WeightFormat.Q8_0, WeightFormat.Q4_0}) {
            String mismatch = mismatch(format);
            if (mismatch != null) {
                System.out.println(mismatch);
                System.exit(1);
            }
        }
        System.out.println("lanes " + Tiles.LANES + ": ok");
    }

    /** Null where every product matches, else what did not. */
    static String mismatch(WeightFormat format) {
        int rows = 45, cols = 160;
        SplittableRandom r = new SplittableRandom(8);
        RowKernel kernel = CpuBackend.kernel(format);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix m = NativeProductsTest.matrix(arena, format, r, rows, cols);
            float[][] x = NativeProductsTest.inputs(r, 3, cols);
            for (int batch = 1; batch <= 3; batch += 2) { // one sequence takes a path of its own
                for (int[] range : new int[][] {{0, 45}, {5, 13}, {31, 45}, {6, 7}}) {
                    float[][] got = new float[batch][rows];
                    Tiles.multiply(m, x, got, batch, range[0], range[1]);
                    for (int s = 0; s < batch; s++) {
                        float[] want = new float[rows];
                        for (int i = range[0]; i < range[1]; i++) {
                            want[i] = kernel.dot(m.data(), m.rowOffset(i), x[s], cols);
                        }
                        if (!Arrays.equals(want, got[s])) {
                            return format + " at " + Tiles.LANES + " lanes, rows " + range[0] + ".." + range[1] + ", sequence " + s + ": "
                                    + Arrays.toString(got[s]) + " instead of " + Arrays.toString(want);
                        }
                    }
                }
            }
        }
        return null;
    }
}
