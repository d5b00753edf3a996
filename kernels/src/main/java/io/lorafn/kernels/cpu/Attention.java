package io.lorafn.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one query row over a sequence's cached keys and values, stored in pages: position
 * p lives in block {@code blockTable[p / blockPositions]} (an array of its own), and kv-head g of it
 * starts at {@code (p % blockPositions) * kvDim + g * headDim} in that block.
 */
public final class Attention {
    private Attention() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * Vectorized over the head's dimensions, in a fixed order (the scalar loops this replaced were dependent
     * chains, 4 cycles a multiply-add: a tenth of a 1b decode step at 40 positions). A score is the dot of q
     * and k: whole vectors with multiply-adds into one accumulator, its lanes added in a fixed order
     * ({@link #sum}), then the remaining dimensions one by one; the output adds p·v position by position with
     * a multiply-add per element. Nothing depends on the batch, so a sequence's bits never do.
     *
     * @param q          the rotated query row, {@code heads * headDim}
     * @param from       first visible position (0, or the sliding-window start)
     * @param to         one past the last visible position
     * @param scores     scratch of at least {@code to} floats
     * @param out        receives {@code heads * headDim} values
     */
    public static void attend(float[] q, float[][] keys, float[][] values, int[] blockTable, int blockPositions,
                              int heads, int kvHeads, int headDim, int from, int to, float[] scores, float[] out) {
        attendHeads(q, keys, values, blockTable, blockPositions, heads, kvHeads, headDim, from, to, 0, heads, scores, out);
    }

    /** {@link #attend} for query heads [headFrom, headTo) only: heads are independent, so threads may split them. */
    public static void attendHeads(float[] q, float[][] keys, float[][] values, int[] blockTable, int blockPositions, int heads,
                                   int kvHeads, int headDim, int from, int to, int headFrom, int headTo, float[] scores, float[] out) {
        int kvDim = kvHeads * headDim;
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int whole = S.loopBound(headDim);
        for (int h = headFrom; h < headTo; h++) {
            int qBase = h * headDim;
            int kvBase = (h / group) * headDim;
            int n = to - from;
            for (int t = 0; t < n; t++) {
                int position = from + t;
                float[] block = keys[blockTable[position / blockPositions]];
                int kBase = (position % blockPositions) * kvDim + kvBase;
                float s = 0f;
                if (whole > 0) {
                    FloatVector acc = FloatVector.fromArray(S, q, qBase).mul(FloatVector.fromArray(S, block, kBase));
                    for (int i = S.length(); i < whole; i += S.length()) {
                        acc = FloatVector.fromArray(S, q, qBase + i).fma(FloatVector.fromArray(S, block, kBase + i), acc);
                    }
                    s = sum(acc);
                }
                for (int i = whole; i < headDim; i++) {
                    s = Math.fma(q[qBase + i], block[kBase + i], s);
                }
                scores[t] = s * scale;
            }
            VectorMath.softmax(scores, n);
            for (int c = 0; c < whole; c += 4 * S.length()) {
                weighValues(values, blockTable, blockPositions, kvDim, kvBase + c, from, n, scores, Math.min(4, (whole - c) / S.length()),
                        out, qBase + c);
            }
            java.util.Arrays.fill(out, qBase + whole, qBase + headDim, 0f);
            for (int t = 0; t < n; t++) {
                int position = from + t;
                float[] block = values[blockTable[position / blockPositions]];
                int vBase = (position % blockPositions) * kvDim + kvBase;
                for (int i = whole; i < headDim; i++) {
                    out[qBase + i] = Math.fma(scores[t], block[vBase + i], out[qBase + i]);
                }
            }
        }
    }

    /**
     * out[o + i] = Σ_t scores[t] · v_t[i] over {@code vectors} (1 to 4) whole vectors of the head's dimensions starting at
     * column {@code column} of each position's values: a multiply-add per element, position by position from 0, in
     * registers. Through memory, each position's multiply-add waited for the previous one's store to be read back.
     */
    private static void weighValues(float[][] values, int[] blockTable, int blockPositions, int kvDim, int column, int from, int n,
                                    float[] scores, int vectors, float[] out, int o) {
        int l = S.length();
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        for (int t = 0; t < n; t++) {
            int position = from + t;
            float[] block = values[blockTable[position / blockPositions]];
            int v = (position % blockPositions) * kvDim + column;
            FloatVector p = FloatVector.broadcast(S, scores[t]);
            a0 = FloatVector.fromArray(S, block, v).fma(p, a0);
            if (vectors > 1) {
                a1 = FloatVector.fromArray(S, block, v + l).fma(p, a1);
            }
            if (vectors > 2) {
                a2 = FloatVector.fromArray(S, block, v + 2 * l).fma(p, a2);
            }
            if (vectors > 3) {
                a3 = FloatVector.fromArray(S, block, v + 3 * l).fma(p, a3);
            }
        }
        a0.intoArray(out, o);
        if (vectors > 1) {
            a1.intoArray(out, o + l);
        }
        if (vectors > 2) {
            a2.intoArray(out, o + 2 * l);
        }
        if (vectors > 3) {
            a3.intoArray(out, o + 3 * l);
        }
    }

    /** The lanes of v added in a fixed order: 16 lanes folded to 8 (lane i + lane i+8), then left to right. */
    private static float sum(FloatVector v) {
        if (v.length() == 16) {
            return Lanes.sum(v.add(v.slice(8)));
        }
        if (v.length() == 8) {
            return Lanes.sum(v);
        }
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) {
            s += v.lane(i);
        }
        return s;
    }
}
