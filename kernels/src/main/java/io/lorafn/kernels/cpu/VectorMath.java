package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
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

    /** In-place softmax over x[0..n), shifted by the maximum for stability. */
    public static void softmax(float[] x, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[i]);
        }
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) { // the exponentials as swiglu's
            FloatVector.fromArray(S, x, i).sub(max).lanewise(VectorOperators.EXP).intoArray(x, i);
        }
        for (; i < n; i++) {
            x[i] = (float) Math.exp(x[i] - max);
        }
        float sum = 0f;
        for (i = 0; i < n; i++) { // in order, as before
            sum += x[i];
        }
        float inv = 1f / sum;
        for (i = 0; i < n; i++) {
            x[i] *= inv;
        }
    }

    /**
     * gate = silu(gate) * up, Llama's SwiGLU, 8 lanes at a time: the exponential through the Vector API (the JDK's
     * vector math library where the CPU has one, within 1 ulp of {@link Math#exp}; elsewhere Math.exp per lane).
     * Per element, so a row's result never depends on the batch. As Math.exp per element this loop, on the caller's
     * thread between two products, held 1b Q4_0 8-bit decode at 166-179 tok/s for batch 8 (195-207 now) and 41-44 for
     * batch 1 (43-44); the 1b logits came out bit for bit the same.
     */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector g = FloatVector.fromArray(S, gate, i);
            FloatVector e = g.neg().lanewise(VectorOperators.EXP);
            g.div(e.add(1f)).mul(FloatVector.fromArray(S, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
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
