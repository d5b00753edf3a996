package io.lorafn.pool.contract;

/** Tokens of one call, as billed and as the client sees them. */
public record Usage(int promptTokens, int completionTokens) {
}
