package io.lorafn.worker.engine;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.WorkerException;
import java.util.List;

/** One sequence to generate: prompt token ids, an optional adapter, limits and sampling. */
public record GenerationRequest(int[] promptTokens, LoraAdapter adapter, int maxTokens, List<String> stop,
                                SamplingParams sampling) {
    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new WorkerException("EMPTY_PROMPT", "the prompt has no tokens");
        }
        if (maxTokens < 1) {
            throw new WorkerException("BAD_MAX_TOKENS", "max_tokens must be >= 1, got " + maxTokens);
        }
        stop = List.copyOf(stop);
        for (String s : stop) {
            if (s.isEmpty()) {
                throw new WorkerException("BAD_STOP", "stop sequences must not be empty");
            }
        }
    }
}
