package io.lorafn.worker.engine;

import io.lorafn.storage.peft.LoraAdapter;

/**
 * One token of one sequence in a forward step. A prompt's tokens are several rows of the same cache,
 * at consecutive positions. {@code adapter} is null for the base model.
 */
public record BatchRow(KvCache cache, int token, int position, LoraAdapter adapter, boolean wantLogits) {
}
