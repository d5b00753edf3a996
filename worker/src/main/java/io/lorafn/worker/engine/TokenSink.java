package io.lorafn.worker.engine;

/** Receives a sequence's output as it is produced. */
@FunctionalInterface
public interface TokenSink {
    /**
     * @param tokenId the sampled token, or -1 for the last call, which only releases held-back text
     * @param text    text that is now final (may be empty: a partial UTF-8 character or a possible
     *                stop-sequence prefix is held back until it resolves)
     */
    void onToken(int tokenId, String text);

    /**
     * The logits the next token is about to be sampled from, once per sampled token (never again for a
     * sequence recomputed after preemption). For log-probabilities and tests; the sink may keep the array.
     */
    default void onLogits(float[] logits) {
    }

    TokenSink NONE = (id, text) -> { };
}
