package io.lorafn.kernels.cpu;

/**
 * Causal attention of one query row over a sequence's cached keys and values, stored in pages: position
 * p lives in block {@code blockTable[p / blockPositions]} (an array of its own), and kv-head g of it
 * starts at {@code (p % blockPositions) * kvDim + g * headDim} in that block.
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
    public static void attend(float[] q, float[][] keys, float[][] values, int[] blockTable, int blockPositions,
                              int heads, int kvHeads, int headDim, int from, int to, float[] scores, float[] out) {
        int kvDim = kvHeads * headDim;
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int h = 0; h < heads; h++) {
            int qBase = h * headDim;
            int kvBase = (h / group) * headDim;
            int n = to - from;
            for (int t = 0; t < n; t++) {
                int position = from + t;
                float[] block = keys[blockTable[position / blockPositions]];
                int kBase = (position % blockPositions) * kvDim + kvBase;
                float s = 0f;
                for (int i = 0; i < headDim; i++) {
                    s += q[qBase + i] * block[kBase + i];
                }
                scores[t] = s * scale;
            }
            VectorMath.softmax(scores, n);
            java.util.Arrays.fill(out, qBase, qBase + headDim, 0f);
            for (int t = 0; t < n; t++) {
                int position = from + t;
                float[] block = values[blockTable[position / blockPositions]];
                int vBase = (position % blockPositions) * kvDim + kvBase;
                float p = scores[t];
                for (int i = 0; i < headDim; i++) {
                    out[qBase + i] += p * block[vBase + i];
                }
            }
        }
    }
}
