package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** F32 rows: four independent FMA chains hide the FMA latency (FACTS.md: 256-bit is as fast as 512). */
final class F32Kernel implements RowKernel {
    static final F32Kernel INSTANCE = new F32Kernel();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final int L = S.length();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (int bound = n - 4 * L + 1; i < bound; i += 4 * L) {
            long o = offset + 4L * i;
            a0 = load(w, o).fma(FloatVector.fromArray(S, x, i), a0);
            a1 = load(w, o + 4L * L).fma(FloatVector.fromArray(S, x, i + L), a1);
            a2 = load(w, o + 8L * L).fma(FloatVector.fromArray(S, x, i + 2 * L), a2);
            a3 = load(w, o + 12L * L).fma(FloatVector.fromArray(S, x, i + 3 * L), a3);
        }
        for (int bound = n - L + 1; i < bound; i += L) {
            a0 = load(w, offset + 4L * i).fma(FloatVector.fromArray(S, x, i), a0);
        }
        float sum = Lanes.sum(a0.add(a1).add(a2.add(a3)));
        for (; i < n; i++) {
            sum += w.get(FLOAT, offset + 4L * i) * x[i];
        }
        return sum;
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        MemorySegment.copy(w, FLOAT, offset, out, 0, n);
    }

    @Override
    public void quantize(float[] row, MemorySegment w, long offset, int n) {
        MemorySegment.copy(row, 0, w, FLOAT, offset, n);
    }

    private static FloatVector load(MemorySegment w, long offset) {
        return FloatVector.fromMemorySegment(S, w, offset, ByteOrder.LITTLE_ENDIAN);
    }
}
