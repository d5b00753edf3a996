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

    static float sum(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }
}
