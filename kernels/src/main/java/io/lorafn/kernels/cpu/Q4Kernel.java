package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Q4_0 rows: per block of 32, an F16 scale and 16 bytes of nibbles; x = d·(q - 8). */
final class Q4Kernel implements RowKernel {
    static final Q4Kernel INSTANCE = new Q4Kernel();
    private static final VectorSpecies<Float> W = Lanes.WIDE;
    private static final VectorSpecies<Byte> BW = ByteVector.SPECIES_128;
    private static final int WL = W.length();
    private static final int BLOCK = 32, BLOCK_BYTES = 18;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * Two 512-bit accumulators, low nibbles then high nibbles: the shared order (see {@link Lanes#sumWide}).
     * No {@link ReadAhead}: at 18 bytes a block the hardware prefetcher keeps up, and touching ahead was
     * measured slower (1 GiB product, 2 threads: 10.1 GB/s without, 6.6 with a touch per block).
     */
    @Override
    public float dot(MemorySegment w, long offset, float[] x, int n) {
        FloatVector even = FloatVector.zero(W), odd = even;
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, offset)));
            IntVector packed = (IntVector) ByteVector.fromMemorySegment(BW, w, offset + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, IntVector.SPECIES_512, 0);
            even = nibble(packed).mul(d).fma(FloatVector.fromArray(W, x, i), even);
            odd = nibble(packed.lanewise(VectorOperators.ASHR, 4)).mul(d).fma(FloatVector.fromArray(W, x, i + WL), odd);
        }
        return Lanes.sumWide(even, odd);
    }

    /**
     * The low nibble q of each int lane, as the float q - 8. Bytes are widened to ints first: AVX-512 has no
     * byte shift, and C2's emulation of one cost a quarter of the kernel's speed.
     */
    private static FloatVector nibble(IntVector lanes) {
        return (FloatVector) lanes.and(0x0F).sub(8).convertShape(VectorOperators.I2F, W, 0);
    }

    @Override
    public void dequantize(MemorySegment w, long offset, float[] out, int n) {
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            FloatVector d = FloatVector.broadcast(W, Float.float16ToFloat(w.get(SHORT, offset)));
            IntVector packed = (IntVector) ByteVector.fromMemorySegment(BW, w, offset + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2I, IntVector.SPECIES_512, 0);
            // Written out rather than through nibble(): see RowKernel on shared vector helpers.
            packed.and(0x0F).sub(8).convertShape(VectorOperators.I2F, W, 0).reinterpretAsFloats().mul(d).intoArray(out, i);
            packed.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convertShape(VectorOperators.I2F, W, 0).reinterpretAsFloats()
                    .mul(d).intoArray(out, i + WL);
        }
    }

    /** llama.cpp's quantize_row_q4_0: d = (the value of largest magnitude) / -8, q = clamp(round(x/d) + 8). */
    @Override
    public void quantize(float[] row, MemorySegment w, long offset, int n) {
        for (int i = 0; i < n; i += BLOCK, offset += BLOCK_BYTES) {
            float amax = 0f, max = 0f;
            for (int j = 0; j < BLOCK; j++) {
                float v = row[i + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            w.set(SHORT, offset, Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK / 2; j++) {
                int q0 = Math.min(15, (int) (row[i + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (row[i + j + 16] * id + 8.5f));
                w.set(ValueLayout.JAVA_BYTE, offset + 2 + j, (byte) (q0 | (q1 << 4)));
            }
        }
    }
}
