package io.lorafn.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tiled dot products for batches: four decoded rows against two sequences' activations, for
 * rows whose length is a multiple of 32. Every output keeps two 512-bit accumulators in the shared order
 * (see {@link Lanes#sumWide}), so each result is bitwise what the solo kernel returns. Each weight vector
 * loaded feeds two FMAs and each activation vector four, which cuts loads per FMA from 1.33 (three rows
 * against one sequence) to 0.75. Measured on one thread, batch 8: 41 G multiply-adds/s for rows of 2048
 * and 35 for rows of 8192, against 29 and 18 for the three-row loop.
 *
 * <p>The final reductions go through a scratch array, not vector lane extracts: with sixteen live
 * accumulators the method is near C2's inlining budget, and a reduction helper that failed to inline
 * boxed its vector arguments and ran eight times slower.
 */
final class TileDot {
    static final int ROWS = 4;
    private static final VectorSpecies<Float> W = Lanes.WIDE;
    private static final int WL = W.length();

    private TileDot() {
    }

    /**
     * Whether rows of n columns go through these products: whole 32-column blocks, and only where this CPU computes
     * 512-bit vectors in registers. Elsewhere (AVX2) C2 leaves 512-bit species to the Vector API's Java code, and 1b
     * BF16 batch 8 ran at 1.1 tok/s instead of 28.6 (Zen 4 with -XX:UseAVX=2); the 256-bit three-row loop
     * ({@link DenseDot#dotThreeRows}) sums in the same order.
     */
    static boolean fits(int n) {
        return NATIVE_WIDTH && n % (2 * WL) == 0;
    }

    private static final boolean NATIVE_WIDTH = FloatVector.SPECIES_PREFERRED.length() >= W.length();

    /** out[0..3] = rows·x, out[4..7] = rows·y. {@code scratch} holds at least 32 floats. */
    static void fourRowsTwoSequences(float[] w0, float[] w1, float[] w2, float[] w3, float[] x, float[] y, int n,
                                     float[] out, float[] scratch) {
        FloatVector z = FloatVector.zero(W);
        FloatVector p0 = z, p1 = z, q0 = z, q1 = z, r0 = z, r1 = z, s0 = z, s1 = z;
        FloatVector t0 = z, t1 = z, u0 = z, u1 = z, v0 = z, v1 = z, e0 = z, e1 = z;
        for (int i = 0; i < n; i += 2 * WL) {
            FloatVector x0 = FloatVector.fromArray(W, x, i), x1 = FloatVector.fromArray(W, x, i + WL);
            FloatVector y0 = FloatVector.fromArray(W, y, i), y1 = FloatVector.fromArray(W, y, i + WL);
            FloatVector a = FloatVector.fromArray(W, w0, i), b = FloatVector.fromArray(W, w0, i + WL);
            p0 = a.fma(x0, p0); p1 = b.fma(x1, p1); t0 = a.fma(y0, t0); t1 = b.fma(y1, t1);
            a = FloatVector.fromArray(W, w1, i); b = FloatVector.fromArray(W, w1, i + WL);
            q0 = a.fma(x0, q0); q1 = b.fma(x1, q1); u0 = a.fma(y0, u0); u1 = b.fma(y1, u1);
            a = FloatVector.fromArray(W, w2, i); b = FloatVector.fromArray(W, w2, i + WL);
            r0 = a.fma(x0, r0); r1 = b.fma(x1, r1); v0 = a.fma(y0, v0); v1 = b.fma(y1, v1);
            a = FloatVector.fromArray(W, w3, i); b = FloatVector.fromArray(W, w3, i + WL);
            s0 = a.fma(x0, s0); s1 = b.fma(x1, s1); e0 = a.fma(y0, e0); e1 = b.fma(y1, e1);
        }
        out[0] = fold(p0, p1, scratch);
        out[1] = fold(q0, q1, scratch);
        out[2] = fold(r0, r1, scratch);
        out[3] = fold(s0, s1, scratch);
        out[4] = fold(t0, t1, scratch);
        out[5] = fold(u0, u1, scratch);
        out[6] = fold(v0, v1, scratch);
        out[7] = fold(e0, e1, scratch);
    }

    /** out[0..3] = rows·x: the tail of an odd batch. */
    static void fourRows(float[] w0, float[] w1, float[] w2, float[] w3, float[] x, int n, float[] out, float[] scratch) {
        FloatVector z = FloatVector.zero(W);
        FloatVector p0 = z, p1 = z, q0 = z, q1 = z, r0 = z, r1 = z, s0 = z, s1 = z;
        for (int i = 0; i < n; i += 2 * WL) {
            FloatVector x0 = FloatVector.fromArray(W, x, i), x1 = FloatVector.fromArray(W, x, i + WL);
            p0 = FloatVector.fromArray(W, w0, i).fma(x0, p0);
            p1 = FloatVector.fromArray(W, w0, i + WL).fma(x1, p1);
            q0 = FloatVector.fromArray(W, w1, i).fma(x0, q0);
            q1 = FloatVector.fromArray(W, w1, i + WL).fma(x1, q1);
            r0 = FloatVector.fromArray(W, w2, i).fma(x0, r0);
            r1 = FloatVector.fromArray(W, w2, i + WL).fma(x1, r1);
            s0 = FloatVector.fromArray(W, w3, i).fma(x0, s0);
            s1 = FloatVector.fromArray(W, w3, i + WL).fma(x1, s1);
        }
        out[0] = fold(p0, p1, scratch);
        out[1] = fold(q0, q1, scratch);
        out[2] = fold(r0, r1, scratch);
        out[3] = fold(s0, s1, scratch);
    }

    /** {@link Lanes#sumWide} through memory: lane j is (a0 + a1) + (a2 + a3), then lanes left to right. */
    private static float fold(FloatVector even, FloatVector odd, float[] scratch) {
        even.intoArray(scratch, 0);
        odd.intoArray(scratch, WL);
        float sum = (scratch[0] + scratch[8]) + (scratch[16] + scratch[24]);
        for (int j = 1; j < 8; j++) {
            sum += (scratch[j] + scratch[8 + j]) + (scratch[16 + j] + scratch[24 + j]);
        }
        return sum;
    }
}
