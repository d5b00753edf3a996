package io.lorafn.worker.engine;

/** What a finished generation produced, with its timings in nanoseconds. */
public record GenerationResult(int[] tokens, String text, FinishReason finishReason, int promptTokens,
                               long timeToFirstTokenNanos, long totalNanos) {
}
