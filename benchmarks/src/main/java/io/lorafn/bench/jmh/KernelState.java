package io.lorafn.bench.jmh;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** Random matrices in the kernels' formats, in native memory as the image and fetched adapters are. */
final class KernelState {
    private KernelState() {
    }

    static WeightMatrix matrix(String name, WeightFormat format, int rows, int cols, double scale, long seed, Arena arena) {
        MemorySegment data = arena.allocate(format.matrixBytes(rows, cols), 64);
        SplittableRandom random = new SplittableRandom(seed);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) ((random.nextDouble() * 2 - 1) * scale);
            }
            CpuBackend.encodeRow(format, row, data, format.rowOffset(r, cols));
        }
        return new WeightMatrix(name, format, data, rows, cols);
    }

    static float[][] activations(int batch, int width, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] x = new float[batch][width];
        for (float[] row : x) {
            for (int i = 0; i < width; i++) {
                row[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        return x;
    }
}
