package io.lorafn.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A horizontal sum in a fixed order. {@code reduceLanes(ADD)} leaves the float order unspecified, and
 * the interpreter and C2 do use different orders: a row would then change its last bits when the JIT
 * compiled the kernel mid-run, and batched and solo results would stop being bitwise equal.
 */
final class Lanes {
    static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_512;
    private static final int HALF = 8;

    private Lanes() {
    }

    /**
     * The same sum for kernels that run two 512-bit accumulators: 512-bit vector k of a row (floats 16k..16k+15)
     * goes into accumulator k mod 2, so the low and high halves of {@code even} hold exactly what a0 and a1
     * hold in the 256-bit scheme, and those of {@code odd} hold a2 and a3. Same order, same bits.
     */
    static float sumWide(FloatVector even, FloatVector odd) {
        // slice(8) moves lanes 8..15 down: the low lanes then hold (a0 + a1) + (a2 + a3).
        FloatVector v = even.add(even.slice(HALF)).add(odd.add(odd.slice(HALF)));
        return v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
    }

    /** Lanes 0..7 of a 256-bit vector, added left to right; constant indices keep each extract one instruction. */
    static float sum(FloatVector v) {
        return v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
    }
}
