package io.lorafn.worker.engine;

import java.util.SplittableRandom;

/** Picks tokens from logits. One sampler per sequence, so a seed reproduces that sequence alone. */
public final class Sampler {
    private final SamplingParams params;
    private final SplittableRandom random;

    public Sampler(SamplingParams params) {
        this.params = params;
        this.random = new SplittableRandom(params.seed());
    }

    public int sample(float[] logits) {
        if (params.greedy()) {
            return argmax(logits);
        }
        int n = logits.length;
        int keep = params.topK() > 0 ? Math.min(params.topK(), n) : n;
        int[] order = topIndices(logits, keep);
        double inv = 1.0 / params.temperature();
        double max = logits[order[0]] * inv;
        double[] probs = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[order[i]] * inv - max);
            sum += probs[i];
        }
        // Top-p keeps the smallest prefix whose mass reaches p, and never fewer than one token.
        int cut = keep;
        if (params.topP() < 1.0) {
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += probs[i] / sum;
                if (cumulative >= params.topP()) {
                    cut = i + 1;
                    break;
                }
            }
        }
        double total = 0;
        for (int i = 0; i < cut; i++) {
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < cut; i++) {
            r -= probs[i];
            if (r < 0) {
                return order[i];
            }
        }
        return order[cut - 1];
    }

    /** The lowest index among the largest values, so ties break the same way every run. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Indices of the {@code k} largest logits, largest first, ties by lower index. */
    static int[] topIndices(float[] logits, int k) {
        Integer[] idx = new Integer[logits.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> {
            int cmp = Float.compare(logits[b], logits[a]);
            return cmp != 0 ? cmp : Integer.compare(a, b);
        });
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
