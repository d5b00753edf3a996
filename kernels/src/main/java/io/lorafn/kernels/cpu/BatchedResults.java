package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Where a C product of rows [from, to) writes its results ({@link NativeInt8Products}, {@link Bf16Dot}): one sequence
 * straight into its output, several into {@code results} (batch × (to - from), one sequence after another), which
 * {@link #copyOut} then copies into the outputs. C writes where it is told, so the bounds are checked here.
 */
final class BatchedResults {
    private BatchedResults() {
    }

    /** Checks that every sequence's output and w hold rows [from, to), and that {@code results} holds several sequences'. */
    static MemorySegment target(WeightMatrix w, float[][] out, int batch, int from, int to, float[] results) {
        for (int b = 0; b < batch; b++) {
            Objects.checkFromToIndex(from, to, Math.min(w.rows(), out[b].length));
        }
        if (batch == 1) {
            return MemorySegment.ofArray(out[0]).asSlice(4L * from);
        }
        if (results.length < batch * (to - from)) {
            throw new IllegalArgumentException("scratch too small for " + batch + " sequences");
        }
        return MemorySegment.ofArray(results);
    }

    /** Several sequences' rows from {@code results} into their outputs; one sequence was written in place. */
    static void copyOut(float[][] out, int batch, int from, int to, float[] results) {
        if (batch == 1) {
            return;
        }
        int rows = to - from;
        for (int b = 0; b < batch; b++) {
            System.arraycopy(results, b * rows, out[b], from, rows);
        }
    }
}
