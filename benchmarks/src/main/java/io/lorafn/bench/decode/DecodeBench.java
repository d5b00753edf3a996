package io.lorafn.bench.decode;

import io.lorafn.bench.BandwidthProbe;
import io.lorafn.bench.Stats;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.engine.BatchRow;
import io.lorafn.worker.engine.KvBlockPool;
import io.lorafn.worker.engine.KvCache;
import io.lorafn.worker.engine.LlamaEngine;
import io.lorafn.worker.engine.Sampler;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Times decode steps of a batch: every sequence first prefills a short prompt (untimed), then the batch
 * decodes {@code tokens} steps together, each sequence with its own adapter (or none).
 */
public final class DecodeBench {
    private static final int PROMPT = 8;

    private DecodeBench() {
    }

    /**
     * {@code runs} timed runs after one warm-up run, each between two bandwidth readings (the median of
     * {@code probePasses} passes of {@code probe}); a run's bandwidth is the mean of the readings on either side.
     */
    public static PairedRuns run(LlamaEngine engine, LoraAdapter[] adapters, int tokens, int runs, BandwidthProbe probe, int probePasses,
                                 Runnable afterEachRun) {
        double[] rates = new double[runs];
        double[] bandwidths = new double[runs];
        once(engine, adapters, Math.min(tokens, 8));
        afterEachRun.run();
        double before = probe.median(probePasses);
        for (int run = 0; run < runs; run++) {
            rates[run] = once(engine, adapters, tokens);
            double after = probe.median(probePasses);
            bandwidths[run] = (before + after) / 2;
            before = after;
            afterEachRun.run();
        }
        return new PairedRuns(rates, bandwidths);
    }

    private static double once(LlamaEngine engine, LoraAdapter[] adapters, int tokens) {
        int batch = adapters.length;
        int positions = PROMPT + tokens + 1;
        KvBlockPool pool = engine.newBlockPool(batch * (long) ((positions + 15) / 16)
                * KvBlockPool.bytesPerBlock(engine.config().numHiddenLayers(), engine.config().kvDim(), 16), 16);
        KvCache[] caches = new KvCache[batch];
        int[] next = new int[batch];
        List<BatchRow> prefill = new ArrayList<>();
        for (int s = 0; s < batch; s++) {
            caches[s] = pool.newSequence();
            for (int i = 0; i < PROMPT; i++) {
                prefill.add(new BatchRow(caches[s], promptToken(engine, s * 31 + i * 7), i, adapters[s], i == PROMPT - 1));
            }
        }
        float[][] logits = engine.forward(prefill);
        for (int s = 0; s < batch; s++) {
            next[s] = Sampler.argmax(logits[(s + 1) * PROMPT - 1]);
        }
        long start = System.nanoTime();
        for (int t = 0; t < tokens; t++) {
            List<BatchRow> rows = new ArrayList<>(batch);
            for (int s = 0; s < batch; s++) {
                rows.add(new BatchRow(caches[s], next[s], PROMPT + t, adapters[s], true));
            }
            logits = engine.forward(rows);
            for (int s = 0; s < batch; s++) {
                next[s] = Sampler.argmax(logits[s]);
            }
        }
        return (double) tokens * batch / ((System.nanoTime() - start) / 1e9);
    }

    /** A prompt token drawn from {@code seed}: never 0, and inside the vocabulary of any model, a tiny test one too. */
    private static int promptToken(LlamaEngine engine, int seed) {
        return 1 + seed % Math.min(1000, engine.config().vocabSize() - 1);
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

    /** Prompt tokens per second of one prefill step over {@code promptTokens} tokens; median of runs. */
    public static double prefillTokensPerSecond(LlamaEngine engine, LoraAdapter adapter, int promptTokens, int runs, Runnable afterEachRun) {
        double[] rates = new double[runs];
        for (int run = -1; run < runs; run++) {
            KvCache cache = engine.newCache(promptTokens);
            List<BatchRow> rows = new ArrayList<>(promptTokens);
            for (int i = 0; i < promptTokens; i++) {
                rows.add(new BatchRow(cache, promptToken(engine, i * 37), i, adapter, i == promptTokens - 1));
            }
            long start = System.nanoTime();
            engine.forward(rows);
            double rate = promptTokens / ((System.nanoTime() - start) / 1e9);
            if (run >= 0) {
                rates[run] = rate;
            }
            afterEachRun.run();
        }
        return Stats.median(rates);
    }
}
