package io.lorafn.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal attention of one query row over a sequence's cached keys and values, stored in pages: position
 * p lives in block {@code blockTable[p / blockPositions]} (an array of its own, per layer for keys and for values).
 *
 * <p>In a value block, kv-head g of slot s starts at {@code s * kvDim + g * headDim}: a position's values lie
 * together. A key block is stored the other way round, {@link #storeKeys}: element i of the slots' key rows
 * (i = g * headDim + d) at {@code i * blockPositions + s}, so one vector holds one dimension of consecutive
 * positions. A score is then a lane of a multiply-add chain over the head's dimensions, and a vector of positions
 * needs no horizontal sum: the position-major keys had spent more on folding and transposing each position's
 * lanes than on its multiply-adds.
 */
public final class Attention {
    private Attention() {
    }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    /** Writes one position's keys ({@code k}: kvHeads × headDim) into slot {@code slot} of a key block. */
    public static void storeKeys(float[] block, int slot, float[] k, int kvDim, int blockPositions) {
        for (int i = 0; i < kvDim; i++) {
            block[i * blockPositions + slot] = k[i];
        }
    }

    /** Floats of score scratch that {@link #attendHeads} needs for positions up to {@code to}. */
    public static int scratchLength(int to) {
        return 2 * (to + L);
    }

    /**
     * Heads go two at a time through each kv head's keys and values, so each key and value vector loaded feeds both.
     * The order of each head's arithmetic is fixed and depends on nothing else: a score is a multiply-add chain from
     * zero over the dimensions in order, times 1/√headDim; the softmax is {@link VectorMath#softmax}'s; the output adds
     * p·v position by position with a multiply-add per element. Nothing depends on the batch or on how the heads are
     * split, so a sequence's bits never do. One thread, the 1b shape (32 heads, 8 kv heads, 64 dimensions), a layer:
     * 20.7 -> 9.6 us at 40 positions, 145 -> 59 us at 260, 1.54 -> 0.49 ms at 2048.
     *
     * @param q          the rotated query row, {@code heads * headDim}
     * @param from       first visible position (0, or the sliding-window start)
     * @param to         one past the last visible position
     * @param scores     scratch of at least {@link #scratchLength}{@code (to)} floats (a larger one is made if shorter)
     * @param out        receives {@code heads * headDim} values
     */
    public static void attend(float[] q, float[][] keys, float[][] values, int[] blockTable, int blockPositions,
                              int heads, int kvHeads, int headDim, int from, int to, float[] scores, float[] out) {
        attendHeads(q, keys, values, blockTable, blockPositions, heads, kvHeads, headDim, from, to, 0, heads, scores, out);
    }

    /** {@link #attend} for query heads [headFrom, headTo) only: heads are independent, so threads may split them. */
    public static void attendHeads(float[] q, float[][] keys, float[][] values, int[] blockTable, int blockPositions, int heads,
                                   int kvHeads, int headDim, int from, int to, int headFrom, int headTo, float[] scores, float[] out) {
        int kvDim = kvHeads * headDim, group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int base = from / blockPositions * blockPositions; // scores are kept from the first visible block's start
        int stride = to - base + L; // a chunk of positions writes L lanes
        float[] s = scores.length >= 2 * stride ? scores : new float[2 * stride];
        int whole = S.loopBound(headDim);
        for (int h = headFrom; h < headTo; ) {
            int g = h / group;
            boolean two = h + 1 < Math.min(headTo, (g + 1) * group);
            int b = two ? h + 1 : h; // the second head (the first again when alone: computed twice, written once)
            score(q, h * headDim, b * headDim, keys, blockTable, blockPositions, g * headDim, headDim, base, to, scale, s, stride);
            VectorMath.softmax(s, from - base, to - from);
            if (two) {
                VectorMath.softmax(s, stride + from - base, to - from);
            }
            for (int c = 0; c < whole; c += 4 * L) {
                weighValues(values, blockTable, blockPositions, kvDim, g * headDim + c, from, to, s, from - base, stride + from - base,
                        Math.min(4, (whole - c) / L), out, h * headDim + c, b * headDim + c);
            }
            for (int head = h; head <= b; head++) {
                int o = head * headDim, p = (head - h) * stride + from - base;
                java.util.Arrays.fill(out, o + whole, o + headDim, 0f);
                for (int t = from; t < to; t++) {
                    float[] block = values[blockTable[t / blockPositions]];
                    int v = (t % blockPositions) * kvDim + g * headDim;
                    for (int i = whole; i < headDim; i++) {
                        out[o + i] = Math.fma(s[p + t - from], block[v + i], out[o + i]);
                    }
                }
            }
            h = b + 1;
        }
    }

    /**
     * The scores of two heads (query rows at qa and qb; the same head twice is allowed) against the keys of key rows
     * [row, row + headDim) for positions [base, to): s[t - base] and s[stride + t - base]. A block's positions go L at a
     * time (masked where a block holds fewer), two such chunks together so that each broadcast of q feeds two
     * multiply-adds; a last chunk alone goes as its own pair. Lanes past a block or past {@code to} are written and
     * later overwritten or never read.
     */
    private static void score(float[] q, int qa, int qb, float[][] keys, int[] blockTable, int blockPositions, int row, int headDim,
                              int base, int to, float scale, float[] s, int stride) {
        for (int p = base; p < to; ) {
            int m = Math.min(L, blockPositions - p % blockPositions), p2 = p + m < to ? p + m : p;
            int m2 = Math.min(L, blockPositions - p2 % blockPositions);
            float[] first = keys[blockTable[p / blockPositions]], second = keys[blockTable[p2 / blockPositions]];
            int at = row * blockPositions + p % blockPositions, at2 = row * blockPositions + p2 % blockPositions;
            FloatVector zero = FloatVector.zero(S), aa = zero, ab = zero, ba = zero, bb = zero; // head a or b, chunk 1 or 2
            if (m == L && m2 == L) {
                for (int d = 0; d < headDim; d++, at += blockPositions, at2 += blockPositions) {
                    FloatVector k1 = FloatVector.fromArray(S, first, at), k2 = FloatVector.fromArray(S, second, at2);
                    FloatVector x = FloatVector.broadcast(S, q[qa + d]), y = FloatVector.broadcast(S, q[qb + d]);
                    aa = k1.fma(x, aa);
                    ab = k2.fma(x, ab);
                    ba = k1.fma(y, ba);
                    bb = k2.fma(y, bb);
                }
            } else {
                VectorMask<Float> lanes = S.indexInRange(0, m), lanes2 = S.indexInRange(0, m2);
                for (int d = 0; d < headDim; d++, at += blockPositions, at2 += blockPositions) {
                    FloatVector k1 = FloatVector.fromArray(S, first, at, lanes), k2 = FloatVector.fromArray(S, second, at2, lanes2);
                    FloatVector x = FloatVector.broadcast(S, q[qa + d]), y = FloatVector.broadcast(S, q[qb + d]);
                    aa = k1.fma(x, aa);
                    ab = k2.fma(x, ab);
                    ba = k1.fma(y, ba);
                    bb = k2.fma(y, bb);
                }
            }
            aa.mul(scale).intoArray(s, p - base);
            ba.mul(scale).intoArray(s, stride + p - base);
            if (p2 != p) {
                ab.mul(scale).intoArray(s, p2 - base);
                bb.mul(scale).intoArray(s, stride + p2 - base);
            }
            p = p2 + m2;
        }
    }

    /**
     * out[oa + i] = Σ_t pa_t · v_t[i] and out[ob + i] = Σ_t pb_t · v_t[i] (pa_t = s[sa + t - from], pb_t = s[sb + t - from]) over
     * {@code vectors} (1 to 4) whole vectors of the head's dimensions starting at column {@code column} of each position's
     * values: a multiply-add per element, position by position from {@code from}, in registers, each value vector loaded
     * once for both heads. Through memory, each position's multiply-add waited for the previous one's store to be read back.
     */
    private static void weighValues(float[][] values, int[] blockTable, int blockPositions, int kvDim, int column, int from, int to,
                                    float[] s, int sa, int sb, int vectors, float[] out, int oa, int ob) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        float[] block = null;
        for (int t = from, v = 0, end = from; t < to; t++, v += kvDim) {
            if (t == end) { // the next block
                block = values[blockTable[t / blockPositions]];
                end = Math.min(to, (t / blockPositions + 1) * blockPositions);
                v = (t % blockPositions) * kvDim + column;
            }
            FloatVector p = FloatVector.broadcast(S, s[sa + t - from]), r = FloatVector.broadcast(S, s[sb + t - from]);
            FloatVector v0 = FloatVector.fromArray(S, block, v);
            a0 = v0.fma(p, a0);
            b0 = v0.fma(r, b0);
            if (vectors > 1) {
                FloatVector v1 = FloatVector.fromArray(S, block, v + L);
                a1 = v1.fma(p, a1);
                b1 = v1.fma(r, b1);
            }
            if (vectors > 2) {
                FloatVector v2 = FloatVector.fromArray(S, block, v + 2 * L);
                a2 = v2.fma(p, a2);
                b2 = v2.fma(r, b2);
            }
            if (vectors > 3) {
                FloatVector v3 = FloatVector.fromArray(S, block, v + 3 * L);
                a3 = v3.fma(p, a3);
                b3 = v3.fma(r, b3);
            }
        }
        b0.intoArray(out, ob); // the second head first: when it is the first again, the first's store wins
        a0.intoArray(out, oa);
        if (vectors > 1) {
            b1.intoArray(out, ob + L);
            a1.intoArray(out, oa + L);
        }
        if (vectors > 2) {
            b2.intoArray(out, ob + 2 * L);
            a2.intoArray(out, oa + 2 * L);
        }
        if (vectors > 3) {
            b3.intoArray(out, ob + 3 * L);
            a3.intoArray(out, oa + 3 * L);
        }
    }
}
