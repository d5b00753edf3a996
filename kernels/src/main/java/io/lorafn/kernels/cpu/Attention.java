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
        boolean byEight = S.length() == 16 && whole == headDim;
        float[] halves = byEight ? new float[8 * 16] : null; // scoresByEight's, once for all the heads
        for (int h = headFrom; h < headTo; h++) {
            int qBase = h * headDim;
            int kvBase = (h / group) * headDim;
            int n = to - from;
            if (byEight) {
                scoresByEight(q, qBase, keys, blockTable, blockPositions, kvDim, kvBase, headDim, from, n, scale, scores, halves);
            }
            for (int t = byEight ? n : 0; t < n; t++) { // otherwise one position at a time
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

    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;
    /** Lane picks from two 8-lane vectors (0-7 the first, 8-15 the second) that transpose eight vectors in three rounds. */
    private static final FloatVector EVENS = picks(0, 8, 2, 10, 4, 12, 6, 14), ODDS = picks(1, 9, 3, 11, 5, 13, 7, 15),
            PAIRS_LOW = picks(0, 1, 8, 9, 4, 5, 12, 13), PAIRS_HIGH = picks(2, 3, 10, 11, 6, 7, 14, 15),
            QUADS_LOW = picks(0, 1, 2, 3, 8, 9, 10, 11), QUADS_HIGH = picks(4, 5, 6, 7, 12, 13, 14, 15);

    private static FloatVector picks(int... lanes) {
        float[] f = new float[lanes.length];
        for (int i = 0; i < lanes.length; i++) {
            f[i] = lanes[i];
        }
        return FloatVector.fromArray(EIGHT, f, 0);
    }

    /**
     * The scores of 512-bit heads with no tail, eight positions at a time, with the bits of the one-by-one loop: each
     * position's 16 products folded to 8 lanes as {@link #sum} does, then the eight 8-lane vectors transposed so that
     * one vector addition adds lane k of all eight, lanes left to right as {@link Lanes#sum}. A position's own sum had
     * cost 8 lane extractions and 7 dependent additions. The last group repeats its last position to fill the lanes,
     * so a score never depends on how many positions follow it.
     */
    private static void scoresByEight(float[] q, int qBase, float[][] keys, int[] blockTable, int blockPositions, int kvDim, int kvBase,
                                      int headDim, int from, int n, float scale, float[] scores, float[] halves) {
        for (int t0 = 0; t0 < n; t0 += 8) {
            int last = n - 1;
            for (int j = 0; j < 8; j++) {
                folded(q, qBase, keys, blockTable, blockPositions, kvDim, kvBase, headDim, from + Math.min(t0 + j, last)).intoArray(halves, 16 * j);
            }
            // each position's low 8 lanes through memory: reinterpretShape(512 -> 256) is not compiled to an
            // instruction here and ran the Vector API's Java fallback (JFR: 60% of attention's samples)
            FloatVector w0 = FloatVector.fromArray(EIGHT, halves, 0), w1 = FloatVector.fromArray(EIGHT, halves, 16);
            FloatVector w2 = FloatVector.fromArray(EIGHT, halves, 32), w3 = FloatVector.fromArray(EIGHT, halves, 48);
            FloatVector w4 = FloatVector.fromArray(EIGHT, halves, 64), w5 = FloatVector.fromArray(EIGHT, halves, 80);
            FloatVector w6 = FloatVector.fromArray(EIGHT, halves, 96), w7 = FloatVector.fromArray(EIGHT, halves, 112);
            FloatVector e0 = EVENS.selectFrom(w0, w1), o0 = ODDS.selectFrom(w0, w1), e1 = EVENS.selectFrom(w2, w3), o1 = ODDS.selectFrom(w2, w3);
            FloatVector e2 = EVENS.selectFrom(w4, w5), o2 = ODDS.selectFrom(w4, w5), e3 = EVENS.selectFrom(w6, w7), o3 = ODDS.selectFrom(w6, w7);
            FloatVector lanes04 = PAIRS_LOW.selectFrom(e0, e1), lanes26 = PAIRS_HIGH.selectFrom(e0, e1);
            FloatVector lanes15 = PAIRS_LOW.selectFrom(o0, o1), lanes37 = PAIRS_HIGH.selectFrom(o0, o1);
            FloatVector more04 = PAIRS_LOW.selectFrom(e2, e3), more26 = PAIRS_HIGH.selectFrom(e2, e3);
            FloatVector more15 = PAIRS_LOW.selectFrom(o2, o3), more37 = PAIRS_HIGH.selectFrom(o2, o3);
            FloatVector sum = QUADS_LOW.selectFrom(lanes04, more04) // lane 0 of each position, then lanes 1 .. 7
                    .add(QUADS_LOW.selectFrom(lanes15, more15))
                    .add(QUADS_LOW.selectFrom(lanes26, more26))
                    .add(QUADS_LOW.selectFrom(lanes37, more37))
                    .add(QUADS_HIGH.selectFrom(lanes04, more04))
                    .add(QUADS_HIGH.selectFrom(lanes15, more15))
                    .add(QUADS_HIGH.selectFrom(lanes26, more26))
                    .add(QUADS_HIGH.selectFrom(lanes37, more37));
            sum.mul(scale).intoArray(scores, t0, EIGHT.indexInRange(t0, n));
        }
    }

    /** q·k of one position over whole 512-bit vectors, in the one-by-one loop's order, folded as {@link #sum}: lanes 0-7 hold it. */
    private static FloatVector folded(float[] q, int qBase, float[][] keys, int[] blockTable, int blockPositions, int kvDim, int kvBase,
                                      int headDim, int position) {
        float[] block = keys[blockTable[position / blockPositions]];
        int kBase = (position % blockPositions) * kvDim + kvBase;
        FloatVector acc = FloatVector.fromArray(S, q, qBase).mul(FloatVector.fromArray(S, block, kBase));
        for (int i = S.length(); i < headDim; i += S.length()) {
            acc = FloatVector.fromArray(S, q, qBase + i).fma(FloatVector.fromArray(S, block, kBase + i), acc);
        }
        return acc.add(acc.slice(8));
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
