package io.lorafn.bench.decode;

import io.lorafn.bench.BandwidthProbe;
import io.lorafn.bench.JitSettling;
import io.lorafn.bench.Stats;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.engine.BatchRow;
import io.lorafn.worker.engine.KvCache;
import io.lorafn.worker.engine.LlamaEngine;
import io.lorafn.worker.engine.LlamaWeights;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Times decode steps of a batch: every sequence first prefills a short prompt (untimed), then the batch
 * decodes {@code tokens} steps together, each sequence with its own adapter (or none).
 */
public final class DecodeBench {
    /** Decode steps in a warm-up round: short rounds let the warm-up see the JIT settle sooner. */
    static final int WARM_UP_STEPS = 8;

    private DecodeBench() {
    }

    /** Rounds of {@link #WARM_UP_STEPS} decode steps of the batch until the JIT settles, for at most {@code maxNanos}. */
    public static JitSettling.Settled warmUp(LlamaEngine engine, LoraAdapter[] adapters, long maxNanos) {
        return JitSettling.warmUp(() -> once(engine, adapters, WARM_UP_STEPS), maxNanos);
    }

    /** As {@link #warmUp}, the two batches of {@link #interleaved} decoding in turns. */
    public static JitSettling.Settled warmUpInTurns(LlamaEngine engine, LoraAdapter[] base, LoraAdapter[] other, long maxNanos) {
        return JitSettling.warmUp(() -> inTurns(engine, base, other, WARM_UP_STEPS), maxNanos);
    }

    /** As {@link #warmUp}, prefill steps over {@code promptTokens} tokens. */
    public static JitSettling.Settled warmUpPrefill(LlamaEngine engine, LoraAdapter adapter, int promptTokens, long maxNanos) {
        return JitSettling.warmUp(() -> prefill(engine, adapter, promptTokens), maxNanos);
    }

    /**
     * {@code runs} timed runs (after a {@link #warmUp}), each between two bandwidth readings (the median of
     * {@code probePasses} passes of {@code probe}); a run's bandwidth is the mean of the readings on either side.
     * Without a probe (null: the products run on a GPU, whose memory the host's probe does not read) every
     * reading is NaN.
     */
    public static PairedRuns run(LlamaEngine engine, LoraAdapter[] adapters, int tokens, int runs, BandwidthProbe probe, int probePasses,
                                 Runnable afterEachRun) {
        double[] rates = new double[runs];
        double[] bandwidths = new double[runs];
        double before = reading(probe, probePasses);
        for (int run = 0; run < runs; run++) {
            rates[run] = once(engine, adapters, tokens);
            double after = reading(probe, probePasses);
            bandwidths[run] = (before + after) / 2;
            before = after;
            afterEachRun.run();
        }
        return new PairedRuns(rates, bandwidths);
    }

    /** The median of {@code passes} passes of {@code probe}, GB/s; NaN without one. */
    private static double reading(BandwidthProbe probe, int passes) {
        return probe == null ? Double.NaN : probe.median(passes);
    }

    private static double once(LlamaEngine engine, LoraAdapter[] adapters, int tokens) {
        DecodingBatch batch = new DecodingBatch(engine, adapters, tokens);
        long start = System.nanoTime();
        for (int t = 0; t < tokens; t++) {
            batch.step();
        }
        return (double) tokens * batch.size() / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Two batches ({@code base} and {@code other}) decoding in turns, a step of each, the one going first swapped every
     * step (after a {@link #warmUpInTurns}); each run's tokens/s of both, timed step by step. Both see the same moments of
     * the host, so their ratio holds when the host's bandwidth moves between runs (on this project's shared 2-vCPU hosts,
     * one jar's batch-1 fraction ranged 0.72-0.96 over whole runs, while step-by-step ratios within a run agreed within a
     * few percent).
     */
    public static InterleavedRuns interleaved(LlamaEngine engine, LoraAdapter[] base, LoraAdapter[] other, int tokens, int runs,
                                              Runnable afterEachRun) {
        double[][] rates = new double[2][runs];
        for (int run = 0; run < runs; run++) {
            double[] both = inTurns(engine, base, other, tokens);
            rates[0][run] = both[0];
            rates[1][run] = both[1];
            afterEachRun.run();
        }
        return new InterleavedRuns(rates[0], rates[1]);
    }

    /** {@code steps} steps of each batch in turns, the one going first swapped every step; the tokens/s of each, timed step by step. */
    private static double[] inTurns(LlamaEngine engine, LoraAdapter[] base, LoraAdapter[] other, int steps) {
        DecodingBatch[] batches = {new DecodingBatch(engine, base, steps), new DecodingBatch(engine, other, steps)};
        long[] nanos = new long[2];
        for (int t = 0; t < steps; t++) {
            for (int k = 0; k < 2; k++) {
                int side = k ^ (t & 1);
                long start = System.nanoTime();
                batches[side].step();
                nanos[side] += System.nanoTime() - start;
            }
        }
        return new double[] {(double) steps * batches[0].size() / (nanos[0] / 1e9), (double) steps * batches[1].size() / (nanos[1] / 1e9)};
    }

    /** Each run's tokens/s of the two batches of {@link #interleaved}; {@link #medianRatio} is of other ÷ base, run by run. */
    public record InterleavedRuns(double[] baseTokensPerS, double[] otherTokensPerS) {
        public double medianRatio() {
            double[] ratios = new double[baseTokensPerS.length];
            for (int i = 0; i < ratios.length; i++) {
                ratios[i] = otherTokensPerS[i] / baseTokensPerS[i];
            }
            return Stats.median(ratios);
        }
    }

    /** Bytes one step reads: the base weights once, plus each distinct adapter once. */
    public static long bytesPerStep(LlamaEngine engine, LoraAdapter[] adapters) {
        long bytes = engine.weights().bytesPerToken();
        IdentityHashMap<LoraAdapter, Boolean> seen = new IdentityHashMap<>();
        for (LoraAdapter a : adapters) {
            if (a != null && seen.put(a, true) == null) {
                bytes += a.byteSize();
            }
        }
        return bytes;
    }

    /**
     * Multiply-adds per prompt token in the weight products: every layer's projections, and the head once per prompt
     * (only the last position's logits are computed). Attention's are left out: under 1% at these lengths.
     */
    public static long multiplyAddsPerPromptToken(LlamaEngine engine, int promptTokens) {
        LlamaWeights w = engine.weights();
        long sum = 0;
        for (int l = 0; l < w.config().numHiddenLayers(); l++) {
            for (WeightMatrix p : w.layer(l).projections()) {
                sum += (long) p.rows() * p.cols();
            }
        }
        return sum + (long) w.head().rows() * w.head().cols() / promptTokens;
    }

    /** Prompt tokens per second of one prefill step over {@code promptTokens} tokens (after a {@link #warmUpPrefill}); median of runs. */
    public static double prefillTokensPerSecond(LlamaEngine engine, LoraAdapter adapter, int promptTokens, int runs, Runnable afterEachRun) {
        double[] rates = new double[runs];
        for (int run = 0; run < runs; run++) {
            rates[run] = prefill(engine, adapter, promptTokens);
            afterEachRun.run();
        }
        return Stats.median(rates);
    }

    private static double prefill(LlamaEngine engine, LoraAdapter adapter, int promptTokens) {
        KvCache cache = engine.newCache(promptTokens);
        List<BatchRow> rows = new ArrayList<>(promptTokens);
        for (int i = 0; i < promptTokens; i++) {
            rows.add(new BatchRow(cache, DecodingBatch.promptToken(engine, i * 37), i, adapter, i == promptTokens - 1));
        }
        long start = System.nanoTime();
        engine.forward(rows);
        return promptTokens / ((System.nanoTime() - start) / 1e9);
    }
}
