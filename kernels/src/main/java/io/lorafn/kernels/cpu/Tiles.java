package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the Q8_0 and Q4_0 kernels' tile paths share ({@link io.lorafn.kernels.WeightFormat} has the layout): a
 * block's 16 scales as one vector, and a tile's lanes back into rows.
 */
final class Tiles {
    static final VectorSpecies<Integer> INTS = IntVector.SPECIES_512;
    static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_512;

    private Tiles() {
    }

    /**
     * The 16 rows' scales of block b as floats, converted from F16 in vector lanes (one at a time through
     * {@code Float.float16ToFloat} cost more than the block's arithmetic): the magnitude's bits moved into an
     * F32's place and multiplied by 2^112 (exact, subnormals included), then the sign. The same value as
     * {@code float16ToFloat} for every finite F16 (Q4TilesTest checks all of them); the writer never stores
     * an infinite or NaN scale.
     */
    static FloatVector scales(MemorySegment w, long tile, int pairBytes, int b) {
        IntVector half = IntVector.fromMemorySegment(INTS, w, tile + (long) pairBytes * (b >> 1), ByteOrder.LITTLE_ENDIAN);
        if ((b & 1) == 1) {
            half = half.lanewise(VectorOperators.LSHR, 16);
        }
        FloatVector magnitude = half.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return magnitude.reinterpretAsInts().or(half.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }

    /** out[r] = lanes[r - 16t] for the rows of tile t within [from, to). */
    static void store(FloatVector acc, float[] lanes, int t, float[] out, int from, int to) {
        acc.intoArray(lanes, 0);
        for (int r = Math.max(from, 16 * t); r < Math.min(to, 16 * t + 16); r++) {
            out[r] = lanes[r - 16 * t];
        }
    }
}
