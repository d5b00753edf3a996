package io.lorafn.kernels.cpu;

/**
 * Causal attention of one query row over a sequence's cached keys and values. Keys and values are
 * laid out position-major: position p of kv-head g starts at {@code p * kvDim + g * headDim}.
 */
public final class Attention {
    private Attention() {
    }

    /**
     * @param q          the rotated query row, {@code heads * headDim}
     * @param from       first visible position (0, or the sliding-window start)
     * @param to         one past the last visible position
     * @param scores     scratch of at least {@code to} floats
     * @param out        receives {@code heads * headDim} values
     */
    public static void attend(float[] q, float[] keys, float[] values, int heads, int kvHeads, int headDim,
                              int from, int to, float[] scores, float[] out) {
        int kvDim = kvHeads * headDim;
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int h = 0; h < heads; h++) {
            int qBase = h * headDim;
            int kvBase = (h / group) * headDim;
            int n = to - from;
            for (int t = 0; t < n; t++) {
                int kBase = (from + t) * kvDim + kvBase;
                float s = 0f;
                for (int i = 0; i < headDim; i++) {
                    s += q[qBase + i] * keys[kBase + i];
                }
                scores[t] = s * scale;
            }
            VectorMath.softmax(scores, n);
            java.util.Arrays.fill(out, qBase, qBase + headDim, 0f);
            for (int t = 0; t < n; t++) {
                int vBase = (from + t) * kvDim + kvBase;
                float p = scores[t];
                for (int i = 0; i < headDim; i++) {
                    out[qBase + i] += p * values[vBase + i];
                }
            }
        }
    }
}
