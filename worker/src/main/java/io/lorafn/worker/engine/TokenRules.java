package io.lorafn.worker.engine;

import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.worker.WorkerException;
import java.util.HashSet;
import java.util.Set;

/**
 * What a model's token ids mean to generation, the same for every sequence on the model: which ids end a
 * sequence (EOS from {@code config.json} and the tokenizer), which are text, and how many positions fit.
 *
 * @param tokenizer null for a model without one: tokens stream as ids and stop strings are refused
 */
public record TokenRules(Tokenizer tokenizer, Set<Integer> eos, int context, int vocabSize) {
    public TokenRules {
        eos = Set.copyOf(eos);
    }

    public static TokenRules of(LlamaEngine engine, Tokenizer tokenizer) {
        Set<Integer> eos = new HashSet<>(engine.config().eosTokenIds());
        if (tokenizer != null) {
            for (int id : tokenizer.eosIds()) {
                eos.add(id);
            }
        }
        return new TokenRules(tokenizer, eos, engine.config().maxPositionEmbeddings(), engine.config().vocabSize());
    }

    /**
     * Refuses what can never run: a prompt that fills the context or holds an id outside the vocabulary, or stop
     * strings with no text to match. Checked before a sequence joins a batch, where a bad row would fail its
     * neighbours' step too.
     */
    public void check(GenerationRequest req) {
        int prompt = req.promptTokens().length;
        for (int i = 0; i < prompt; i++) {
            int id = req.promptTokens()[i];
            if (id < 0 || id >= vocabSize) {
                throw new WorkerException("TOKEN_OUT_OF_RANGE", "prompt token " + i + " is id " + id
                        + ", outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        if (prompt >= context) {
            throw new WorkerException("PROMPT_TOO_LONG", "the prompt has " + prompt + " tokens; the model's context is " + context);
        }
        if (tokenizer == null && !req.stop().isEmpty()) {
            throw new WorkerException("BAD_STOP", "stop sequences need a tokenizer; this model has none");
        }
    }

    /**
     * The most KV positions a request can fill. The last sampled token is never fed back, and generation
     * ends before a token would be fed at the last position, whose logits could not be used.
     */
    public int maxPositions(GenerationRequest req) {
        return (int) Math.min((long) req.promptTokens().length + req.maxTokens() - 1, context - 1);
    }

    boolean isEos(int token) {
        return eos.contains(token);
    }

    /** Special tokens (chat markers, reserved ids) are control, not text: vLLM's skip_special_tokens default. */
    boolean isText(int token) {
        return tokenizer != null && !tokenizer.isSpecial(token);
    }
}
