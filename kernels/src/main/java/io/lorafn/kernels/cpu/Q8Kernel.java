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
    private static final VectorSpecies<Float> W = Lanes.WIDE;
    private static final VectorSpecies<Byte> BW = ByteVector.SPECIES_128;
    private static final int WL = W.length();
    private static final int BLOCK = 32, BLOCK_BYTES = 34;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Two 512-bit accumulators: block half h (16 weights) goes into accumulator h, which is the 256-bit
     * four-accumulator order (see {@link Lanes#sumWide}), at half the instructions per weight.
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        FloatVector even = FloatVector.zero(W), odd = even;
        long last = w.byteSize() - 1;
        int touched = 0;
        int i = 0;
        for (; i + 2 * BLOCK <= n; i += 2 * BLOCK, offset += 2 * BLOCK_BYTES) { // one touch per cache line
            touched += ReadAhead.touch(w, offset, last);
            FloatVector d = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, offset)));
            FloatVector e = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, offset + BLOCK_BYTES)));
            even = loadWide(w, offset + 2).mul(d).fma(FloatVector.fromArray(W, x, i), even);
            odd = loadWide(w, offset + 18).mul(d).fma(FloatVector.fromArray(W, x, i + WL), odd);
            even = loadWide(w, offset + BLOCK_BYTES + 2).mul(e).fma(FloatVector.fromArray(W, x, i + 2 * WL), even);
            odd = loadWide(w, offset + BLOCK_BYTES + 18).mul(e).fma(FloatVector.fromArray(W, x, i + 3 * WL), odd);
        }
        if (i < n) {
            FloatVector d = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, offset)));
            even = loadWide(w, offset + 2).mul(d).fma(FloatVector.fromArray(W, x, i), even);
            odd = loadWide(w, offset + 18).mul(d).fma(FloatVector.fromArray(W, x, i + WL), odd);
        }
        ReadAhead.keep(touched);
        return Lanes.sumWide(even, odd);
    }

    /** Prefetches like {@link #dot}: the batched path decodes rows straight from memory too. */
    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        long last = w.byteSize() - 1;
        int touched = 0;
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            touched += ReadAhead.touch(w, offset, last);
            FloatVector d = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, offset)));
            // Written out rather than through loadWide: see RowKernel on shared vector helpers.
            ((FloatVector) ByteVector.fromMemorySegment(BW, w, offset + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0)).mul(d).intoArray(out, i);
            ((FloatVector) ByteVector.fromMemorySegment(BW, w, offset + 18, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2F, W, 0)).mul(d).intoArray(out, i + WL);
        }
        ReadAhead.keep(touched);
    }

    private static FloatVector loadWide(MemorySegment w, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(BW, w, offset, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, W, 0);
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
