package io.lorafn.worker.engine;

import io.lorafn.worker.WorkerException;

/**
 * How the next token is picked. Temperature 0 is greedy. Otherwise temperature, then top-k (0 = off),
 * then top-p (1 = off) are applied in that order, as Hugging Face's logits processors do.
 */
public record SamplingParams(double temperature, int topK, double topP, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0, 0, 1.0, 0);

    public SamplingParams {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new WorkerException("BAD_SAMPLING", "temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new WorkerException("BAD_SAMPLING", "top_k must be >= 0, got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new WorkerException("BAD_SAMPLING", "top_p must be in (0, 1], got " + topP);
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
