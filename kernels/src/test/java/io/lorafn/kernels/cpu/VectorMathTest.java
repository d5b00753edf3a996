package io.lorafn.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    /** silu(g)·u in double: what every lane must come within a few ulps of. */
    private static double swiglu(float g, float u) {
        return g / (1.0 + Math.exp(-(double) g)) * u;
    }

    @Test
    void swigluIsWithinFourUlpsOfDoublePrecisionOnVectorLanesAndTheTail() {
        Random r = new Random(3);
        int n = 8 * 37 + 5; // vector lanes and a scalar tail
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) (r.nextGaussian() * (i % 7 == 0 ? 30 : 3));
            up[i] = (float) r.nextGaussian();
        }
        gate[0] = -200f; // exp overflows: silu is -0
        gate[1] = 200f;  // silu(g) = g
        gate[2] = 0f;
        float[] g = gate.clone();
        VectorMath.swiglu(g, up, n);
        for (int i = 0; i < n; i++) {
            double want = swiglu(gate[i], up[i]);
            assertTrue(Math.abs(g[i] - want) <= 4 * Math.ulp((float) want) + Float.MIN_NORMAL,
                    "element " + i + ": gate " + gate[i] + ", got " + g[i] + ", want " + want);
        }
        assertEquals(0f, Math.abs(g[0]));
        assertEquals(200f * up[1], g[1], Math.ulp(200f * up[1]));
    }

    @Test
    void swigluOfAnElementDependsOnlyOnThatElement() {
        Random r = new Random(4);
        int n = 8 * 9 + 3;
        float[] gate = new float[n], up = new float[n];
        for (int i = 0; i < n; i++) {
            gate[i] = (float) r.nextGaussian() * 4;
            up[i] = (float) r.nextGaussian();
        }
        float[] whole = gate.clone();
        VectorMath.swiglu(whole, up, n);
        float[] prefix = gate.clone(); // a shorter row: the same lanes, a different tail
        VectorMath.swiglu(prefix, up, n - 3);
        for (int i = 0; i < n - 3 - 8; i++) { // the lanes both computed as vectors
            assertEquals(Float.floatToIntBits(whole[i]), Float.floatToIntBits(prefix[i]), "element " + i);
        }
    }

    @Test
    void softmaxSumsToOneAndMatchesDoublePrecision() {
        Random r = new Random(5);
        int n = 8 * 11 + 6;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * 6;
        }
        x[3] = Float.NEGATIVE_INFINITY; // a masked score
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float v : x) {
            max = Math.max(max, v);
        }
        for (float v : x) {
            sum += Math.exp(v - max);
        }
        float[] p = x.clone();
        VectorMath.softmax(p, 0, n);
        double total = 0;
        for (int i = 0; i < n; i++) {
            double want = Math.exp(x[i] - max) / sum;
            assertEquals(want, p[i], 1e-6 * want + 1e-12, "element " + i);
            total += p[i];
        }
        assertEquals(0f, p[3]);
        assertEquals(1.0, total, 1e-5);
    }

    @Test
    void expIsWithinTwoUlpsAndALaneEqualsTheScalarBitForBit() {
        Random r = new Random(6);
        jdk.incubator.vector.VectorSpecies<Float> s = jdk.incubator.vector.FloatVector.SPECIES_256;
        float[] x = new float[8 * 20000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 180 - 90);
        }
        float[] special = {0f, -0f, 1f, -1f, 88f, -87f, 88.5f, -87.5f, 100f, -100f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, 1e-30f, -1e-30f, 0.5f};
        System.arraycopy(special, 0, x, 0, special.length);
        float[] lanes = new float[x.length];
        for (int i = 0; i < x.length; i += s.length()) {
            VectorMath.exp(jdk.incubator.vector.FloatVector.fromArray(s, x, i)).intoArray(lanes, i);
        }
        for (int i = 0; i < x.length; i++) {
            float scalar = VectorMath.exp(x[i]);
            assertEquals(Float.floatToRawIntBits(scalar), Float.floatToRawIntBits(lanes[i]), "x = " + x[i]);
            if (x[i] >= -87f && x[i] <= 88f) {
                float want = (float) Math.exp(x[i]);
                assertTrue(Math.abs(scalar - want) <= 2 * Math.ulp(want), "x = " + x[i] + ": " + scalar + " vs " + want);
            }
        }
        assertEquals(Float.POSITIVE_INFINITY, VectorMath.exp(100f));
        assertEquals(0f, VectorMath.exp(-100f));
        assertEquals(0f, VectorMath.exp(Float.NEGATIVE_INFINITY));
        assertTrue(Float.isNaN(VectorMath.exp(Float.NaN)));
        assertEquals(1f, VectorMath.exp(0f));
    }
}
