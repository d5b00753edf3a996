package io.lorafn.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** dot(w, x) over two heap rows, in the accumulation order every {@link RowKernel} shares. */
final class DenseDot {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = S.length();

    private DenseDot() {
    }

    static float dot(float[] w, float[] x, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = n - 4 * L + 1; i < bound; i += 4 * L) {
            a0 = FloatVector.fromArray(S, w, i).fma(FloatVector.fromArray(S, x, i), a0);
            a1 = FloatVector.fromArray(S, w, i + L).fma(FloatVector.fromArray(S, x, i + L), a1);
            a2 = FloatVector.fromArray(S, w, i + 2 * L).fma(FloatVector.fromArray(S, x, i + 2 * L), a2);
            a3 = FloatVector.fromArray(S, w, i + 3 * L).fma(FloatVector.fromArray(S, x, i + 3 * L), a3);
        }
        for (int bound = n - L + 1; i < bound; i += L) {
            a0 = FloatVector.fromArray(S, w, i).fma(FloatVector.fromArray(S, x, i), a0);
        }
        float sum = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            sum += w[i] * x[i];
        }
        return sum;
    }
}
