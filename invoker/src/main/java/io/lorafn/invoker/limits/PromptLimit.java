package io.lorafn.invoker.limits;

import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;

/**
 * The longest prompt a call may have, in tokens of the served model, counted exactly as the worker will
 * (the same tokenizer, with the beginning-of-text token). A prompt with no more UTF-8 bytes than the
 * limit allows passes without counting, since every token covers at least one byte; only longer ones are
 * tokenized, off the event loop.
 */
public final class PromptLimit {
    /** Tokens a tokenizer may add around the text (beginning and end of text) and a leading-space marker. */
    private static final int SPECIAL_TOKENS = 3;

    private final Tokenizer tokenizer;
    private final int maxTokens;

    /** @param tokenizer the served model's tokenizer; null when it has none, and then nothing is counted */
    public PromptLimit(Tokenizer tokenizer, int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("the prompt limit must be >= 1 token, got " + maxTokens);
        }
        this.tokenizer = tokenizer;
        this.maxTokens = maxTokens;
    }

    public int maxTokens() {
        return maxTokens;
    }

    /** Completes with the token count when the prompt is over the limit, empty when it is within it. */
    public Future<OptionalInt> excess(Vertx vertx, String prompt) {
        if (tokenizer == null || prompt.getBytes(StandardCharsets.UTF_8).length + SPECIAL_TOKENS <= maxTokens) {
            return Future.succeededFuture(OptionalInt.empty());
        }
        return vertx.executeBlocking(() -> {
            int n = tokenizer.encode(prompt, true).length;
            return n > maxTokens ? OptionalInt.of(n) : OptionalInt.empty();
        }, false);
    }
}
