package io.lorafn.worker.sched;

import io.lorafn.worker.WorkerException;

/**
 * How a {@link Scheduler} fills its steps.
 *
 * @param maxBatchSize     sequences running at once (admitted and holding KV blocks)
 * @param maxTokensPerStep rows in one forward step: decode rows first, prefill chunks fill the rest. At least
 *                         {@code maxBatchSize}, so every running sequence always gets its decode row.
 * @param kvBudgetBytes    bytes of KV cache shared by all sequences, cut into blocks
 * @param blockPositions   positions per KV block
 */
public record SchedulerConfig(int maxBatchSize, int maxTokensPerStep, long kvBudgetBytes, int blockPositions) {
    /** vLLM's default block size: small enough to waste little at a sequence's end, large enough for cheap tables. */
    public static final int DEFAULT_BLOCK_POSITIONS = 16;

    public SchedulerConfig {
        if (maxBatchSize < 1) {
            throw bad("maxBatchSize must be >= 1, got " + maxBatchSize);
        }
        if (maxTokensPerStep < maxBatchSize) {
            throw bad("maxTokensPerStep (" + maxTokensPerStep + ") must be >= maxBatchSize (" + maxBatchSize
                    + "), or a running sequence could miss its decode row");
        }
        if (kvBudgetBytes < 1) {
            throw bad("kvBudgetBytes must be > 0, got " + kvBudgetBytes);
        }
        if (blockPositions < 1) {
            throw bad("blockPositions must be >= 1, got " + blockPositions);
        }
    }

    public SchedulerConfig(int maxBatchSize, int maxTokensPerStep, long kvBudgetBytes) {
        this(maxBatchSize, maxTokensPerStep, kvBudgetBytes, DEFAULT_BLOCK_POSITIONS);
    }

    /**
     * 16 sequences (DESIGN's batch-8 aim with headroom), 256 rows a step (a prefill chunk of a few hundred
     * rows keeps a CPU step in the tens of milliseconds, so decoding sequences keep their pace) and 256 MiB
     * of KV (4096 positions of a Llama-3.2-1B shape at float32).
     */
    public static SchedulerConfig defaults() {
        return new SchedulerConfig(16, 256, 256L << 20);
    }

    private static WorkerException bad(String message) {
        return new WorkerException("BAD_SCHEDULER_CONFIG", message);
    }
}
