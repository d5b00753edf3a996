package io.lorafn.kernels.cpu;

import io.lorafn.kernels.Bf16;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** BF16 rows: a bfloat16 is the top half of a float32, so widening is a shift by 16. */
final class Bf16Kernel implements RowKernel {
    static final Bf16Kernel INSTANCE = new Bf16Kernel();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> HALF = ShortVector.SPECIES_128;
    private static final int L = S.length();
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = n - 4 * L + 1; i < bound; i += 4 * L) {
            long o = offset + 2L * i;
            a0 = load(w, o).fma(FloatVector.fromArray(S, x, i), a0);
            a1 = load(w, o + 2L * L).fma(FloatVector.fromArray(S, x, i + L), a1);
            a2 = load(w, o + 4L * L).fma(FloatVector.fromArray(S, x, i + 2 * L), a2);
            a3 = load(w, o + 6L * L).fma(FloatVector.fromArray(S, x, i + 3 * L), a3);
        }
        for (int bound = n - L + 1; i < bound; i += L) {
            a0 = load(w, offset + 2L * i).fma(FloatVector.fromArray(S, x, i), a0);
        }
        float sum = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            sum += Bf16.toFloat(w.get(SHORT, offset + 2L * i)) * x[i];
        }
        return sum;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        int i = 0;
        for (int bound = n - L + 1; i < bound; i += L) {
            // Written out rather than through load(): see RowKernel on shared vector helpers.
            ((IntVector) ShortVector.fromMemorySegment(HALF, w, offset + 2L * i, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, IntVector.SPECIES_256, 0))
                    .lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = Bf16.toFloat(w.get(SHORT, offset + 2L * i));
        }
    }

    /** Each weight rounded ({@link Bf16#round}). */
    @Override
    public void quantize(float[] row, MemorySegment w, long offset, int n) {
        for (int i = 0; i < n; i++) {
            w.set(SHORT, offset + 2L * i, Bf16.round(row[i]));
        }
    }

    private static FloatVector load(MemorySegment w, long offset) {
        ShortVector halves = ShortVector.fromMemorySegment(HALF, w, offset, ByteOrder.LITTLE_ENDIAN);
        IntVector widened = (IntVector) halves.convertShape(VectorOperators.S2I, IntVector.SPECIES_256, 0);
        return widened.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
