package io.lorafn.bench.decode;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.engine.BatchRow;
import io.lorafn.worker.engine.KvBlockPool;
import io.lorafn.worker.engine.KvCache;
import io.lorafn.worker.engine.LlamaEngine;
import io.lorafn.worker.engine.Sampler;
import java.util.ArrayList;
import java.util.List;

/**
 * A batch of sequences, each with its own adapter (or none), that has prefilled a short prompt (on construction,
 * untimed) and then decodes greedily one step at a time, for up to the number of steps it was made for.
 */
final class DecodingBatch {
    private static final int PROMPT = 8;

    private final LlamaEngine engine;
    private final LoraAdapter[] adapters;
    private final KvCache[] caches;
    private final int[] next;
    private int position = PROMPT;

    DecodingBatch(LlamaEngine engine, LoraAdapter[] adapters, int steps) {
        this.engine = engine;
        this.adapters = adapters;
        int batch = adapters.length, positions = PROMPT + steps + 1;
        KvBlockPool pool = engine.newBlockPool(batch * (long) ((positions + 15) / 16)
                * KvBlockPool.bytesPerBlock(engine.config().numHiddenLayers(), engine.config().kvDim(), 16), 16);
        caches = new KvCache[batch];
        next = new int[batch];
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
    }

    int size() {
        return adapters.length;
    }

    /** One decode step of every sequence. */
    void step() {
        List<BatchRow> rows = new ArrayList<>(adapters.length);
        for (int s = 0; s < adapters.length; s++) {
            rows.add(new BatchRow(caches[s], next[s], position, adapters[s], true));
        }
        float[][] logits = engine.forward(rows);
        for (int s = 0; s < adapters.length; s++) {
            next[s] = Sampler.argmax(logits[s]);
        }
        position++;
    }

    /** A prompt token drawn from {@code seed}: never 0, and inside the vocabulary of any model, a tiny test one too. */
    static int promptToken(LlamaEngine engine, int seed) {
        return 1 + seed % Math.min(1000, engine.config().vocabSize() - 1);
    }
}
