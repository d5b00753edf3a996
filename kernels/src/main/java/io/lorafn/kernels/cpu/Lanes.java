package io.lorafn.kernels.cpu;

import jdk.incubator.vector.FloatVector;

/**
 * A horizontal sum in a fixed order. {@code reduceLanes(ADD)} leaves the float order unspecified, and
 * the interpreter and C2 do use different orders: a row would then change its last bits when the JIT
 * compiled the kernel mid-run, and batched and solo results would stop being bitwise equal.
 */
final class Lanes {
    private Lanes() {
    }

    /** Lanes 0..7 of a 256-bit vector, added left to right; constant indices keep each extract one instruction. */
    static float sum(FloatVector v) {
        return v.lane(0) + v.lane(1) + v.lane(2) + v.lane(3) + v.lane(4) + v.lane(5) + v.lane(6) + v.lane(7);
    }
}
