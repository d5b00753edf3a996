package io.lorafn.worker.engine;

import io.lorafn.storage.hf.tokenizer.Tokenizer;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Generates one sequence alone: prefill of the whole prompt in one step, then a decode step per token, until
 * EOS, a stop sequence, max tokens, the context end, or cancellation (checked between steps). What happens to
 * each token is {@link SequenceState}'s, shared with the scheduler; this class only runs the steps. It is the
 * solo baseline that batched runs are tested against, and the CLI's path.
 */
public final class Generator {
    private final LlamaEngine engine;
    private final TokenRules rules;

    public Generator(LlamaEngine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.rules = TokenRules.of(engine, tokenizer);
    }

    public GenerationResult generate(GenerationRequest req, TokenSink sink, BooleanSupplier cancelled) {
        rules.check(req);
        long start = System.nanoTime();
        SequenceState seq = new SequenceState(req, rules, engine.newCache(rules.maxPositions(req)), sink, start);
        while (!seq.finished()) {
            if (cancelled.getAsBoolean()) {
                seq.cancel();
                break;
            }
            List<BatchRow> rows = seq.nextRows(Integer.MAX_VALUE);
            seq.accept(engine.forward(rows)[rows.size() - 1]);
        }
        return seq.result();
    }
}
