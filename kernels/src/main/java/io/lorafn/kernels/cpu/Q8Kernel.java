package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Q8_0 rows: per block of 32, an F16 scale and 32 signed bytes; x = d·q. */
final class Q8Kernel implements RowKernel {
    static final Q8Kernel INSTANCE = new Q8Kernel();
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    /** 8 bytes widen to 8 floats: a same-lane-count conversion, which C2 compiles to two instructions. */
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_64;
    private static final int L = S.length();
    private static final int BLOCK = 32, BLOCK_BYTES = 34;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(S, Float.float16ToFloat(w.get(SHORT, offset)));
            long q = offset + 2;
            a0 = load(w, q).mul(d).fma(FloatVector.fromArray(S, x, i), a0);
            a1 = load(w, q + 8).mul(d).fma(FloatVector.fromArray(S, x, i + L), a1);
            a2 = load(w, q + 16).mul(d).fma(FloatVector.fromArray(S, x, i + 2 * L), a2);
            a3 = load(w, q + 24).mul(d).fma(FloatVector.fromArray(S, x, i + 3 * L), a3);
        }
        return Lanes.sum(a0.add(a1).add(a2.add(a3)));
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(S, Float.float16ToFloat(w.get(SHORT, offset)));
            for (int p = 0; p < 4; p++) {
                load(w, offset + 2 + 8L * p).mul(d).intoArray(out, i + p * L);
            }
        }
    }

    private static FloatVector load(MemorySegment w, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, w, offset, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, S, 0);
    }

    /** llama.cpp's quantize_row_q8_0: d = max|x| / 127, q = round(x / d). */
    @Override
    public void quantize(float[] row, MemorySegment w, long offset, int n) {
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(row[i + j]));
            }
            float d = amax / 127f;
            short d16 = Float.floatToFloat16(d);
            float id = d != 0f ? 1f / d : 0f;
            w.set(SHORT, offset, d16);
            for (int j = 0; j < BLOCK; j++) {
                float v = row[i + j] * id; // C's roundf: halves away from zero
                w.set(ValueLayout.JAVA_BYTE, offset + 2 + j, (byte) (v >= 0 ? Math.round(v) : -Math.round(-v)));
            }
        }
    }
}
