package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The small per-row operations of a Llama block. They run on activations, which are heap arrays. */
public final class VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VectorMath() {
    }

    /** out = x / sqrt(mean(x²) + eps) * weight, as Llama's RMSNorm (the sum is kept in float like HF's). */
    public static void rmsnorm(float[] out, float[] x, float[] weight, float eps) {
        int n = weight.length;
        float ss = 0f;
        for (int i = 0; i < n; i++) {
            ss += x[i] * x[i];
        }
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) {
            out[i] = weight[i] * (x[i] * inv);
        }
    }

    /**
     * Rotates every head of {@code vec} in place, the Hugging Face way: rotate_half pairs element i
     * with i + headDim/2 (not adjacent elements as in Meta's original checkpoints).
     */
    public static void rope(float[] vec, int heads, int headDim, float[] cos, float[] sin) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = h * headDim;
            for (int i = 0; i < half; i++) {
                float a = vec[base + i];
                float b = vec[base + i + half];
                vec[base + i] = a * cos[i] - b * sin[i];
                vec[base + i + half] = b * cos[i] + a * sin[i];
            }
        }
    }

    /**
     * In-place softmax over x[from, from + n), shifted by the maximum for stability. The sum runs in 8 lanes over whole
     * vectors, added left to right ({@link Lanes#sum}), then the rest one by one: a fixed order, so the same bits
     * whatever calls it.
     */
    public static void softmax(float[] x, int from, int n) {
        int end = from + n, bound = from + S.loopBound(n), i = from;
        FloatVector highest = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < bound; i += S.length()) {
            highest = highest.max(FloatVector.fromArray(S, x, i));
        }
        float max = highest.reduceLanes(VectorOperators.MAX); // exact in any order
        for (; i < end; i++) {
            max = Math.max(max, x[i]);
        }
        FloatVector total = FloatVector.zero(S);
        for (i = from; i < bound; i += S.length()) {
            FloatVector e = exp(FloatVector.fromArray(S, x, i).sub(max));
            e.intoArray(x, i);
            total = total.add(e);
        }
        float sum = Lanes.sum(total);
        for (; i < end; i++) {
            x[i] = exp(x[i] - max);
            sum += x[i];
        }
        float inv = 1f / sum;
        for (i = from; i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, i).mul(inv).intoArray(x, i);
        }
        for (; i < end; i++) {
            x[i] *= inv;
        }
    }

    /**
     * gate = silu(gate) * up, Llama's SwiGLU, 8 lanes at a time with {@link #exp(FloatVector)}. Per element, so a row's
     * result never depends on the batch. As Math.exp per element this loop, on the caller's
     * thread between two products, held 1b Q4_0 8-bit decode at 166-179 tok/s for batch 8 (195-207 with the vector
     * exponential) and 41-44 for batch 1 (43-45).
     */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            g.div(exp(g.neg()).add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + exp(-g)) * up[i];
        }
    }

    /*
     * e^x from IEEE operations alone (Cephes' expf: x = n·ln 2 + r, a degree-7 polynomial in r, times 2^n), within 2 ulps
     * of e^x. Not VectorOperators.EXP: the JDK computes that with Math.exp per lane until C2 compiles the caller and with
     * its vector library after, so a row's bits changed mid-run with the JIT (1b logits of one prompt differed between
     * two runs). Add, multiply, fma and bit moves give the same bits compiled or not, in a lane or in the scalar twin.
     * Saturates: above 88 to infinity, below -87 to 0 (e^-87 is 1.6e-38); NaN stays NaN.
     */
    private static final float LOG2E = 1.44269504088896341f, ROUND = 12582912f; // 1.5·2^23: adding it rounds to an integer
    private static final float LN2_HIGH = 0.693359375f, LN2_LOW = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    private static final float HIGHEST = 88f, LOWEST = -87f;

    static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(LOWEST).min(HIGHEST); // NaN stays NaN through max and min
        FloatVector t = c.mul(LOG2E).add(ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.neg().fma(FloatVector.broadcast(S, LN2_HIGH), c);
        r = n.neg().fma(FloatVector.broadcast(S, LN2_LOW), r);
        FloatVector y = r.fma(P0, P1);
        y = y.fma(r, FloatVector.broadcast(S, P2));
        y = y.fma(r, FloatVector.broadcast(S, P3));
        y = y.fma(r, FloatVector.broadcast(S, P4));
        y = y.fma(r, FloatVector.broadcast(S, P5));
        y = y.fma(r.mul(r), r.add(1f));
        IntVector bits = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND) - 127).lanewise(VectorOperators.LSHL, 23);
        FloatVector e = y.mul(bits.reinterpretAsFloats());
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, HIGHEST));
        return e.blend(0f, x.compare(VectorOperators.LT, LOWEST));
    }

    /** {@link #exp(FloatVector)} for one float, operation for operation: the same bits as a lane. */
    static float exp(float x) {
        if (x > HIGHEST) {
            return Float.POSITIVE_INFINITY;
        }
        if (x < LOWEST) {
            return 0f;
        }
        float t = x * LOG2E + ROUND;
        float n = t - ROUND;
        float r = Math.fma(-n, LN2_HIGH, x);
        r = Math.fma(-n, LN2_LOW, r);
        float y = Math.fma(r, P0, P1);
        y = Math.fma(y, r, P2);
        y = Math.fma(y, r, P3);
        y = Math.fma(y, r, P4);
        y = Math.fma(y, r, P5);
        y = Math.fma(y, r * r, r + 1f);
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - (Float.floatToRawIntBits(ROUND) - 127)) << 23);
    }

    /** y += scale * x over n elements (a fused multiply-add per element, so the JIT may vectorize it freely). */
    public static void addScaled(float[] y, float[] x, float scale, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, x, i).fma(FloatVector.broadcast(S, scale), FloatVector.fromArray(S, y, i)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] = Math.fma(x[i], scale, y[i]);
        }
    }

    /** y += scale · the n floats at {@code offset} of {@code x}, in {@link #addScaled(float[], float[], float, int)}'s order. */
    static void addScaled(float[] y, MemorySegment x, long offset, float scale, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromMemorySegment(S, x, offset + 4L * i, ByteOrder.LITTLE_ENDIAN).fma(FloatVector.broadcast(S, scale),
                    FloatVector.fromArray(S, y, i)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] = Math.fma(x.get(FLOAT, offset + 4L * i), scale, y[i]);
        }
    }

    public static void add(float[] y, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            y[i] += x[i];
        }
    }
}
