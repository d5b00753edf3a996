package io.lorafn.pool.contract;

import java.util.List;

/**
 * One accepted call, as the invoker enqueues it and a worker runs it. The adapter version is resolved
 * at admission, so a promotion while the call waits does not change what it runs.
 *
 * @param prompt       the prompt text, already rendered (chat messages through the chat template)
 * @param seed         null for a random seed
 * @param replyTo      the invoker whose reply stream gets the result chunks
 * @param acceptedAtMs epoch milliseconds when the invoker accepted the call
 * @param deadlineMs   epoch milliseconds after which a worker skips the call and records a timeout
 * @param weight       the tenant's share of worker slots under contention (its tier's weight)
 */
public record Invocation(String id, String tenant, String function, String adapterName, String adapterVersion,
                         String prompt, int maxTokens, double temperature, double topP, int topK, Long seed,
                         List<String> stop, boolean stream, String replyTo, long acceptedAtMs, long deadlineMs, double weight) {
    public Invocation {
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        }
        if (!(weight > 0)) {
            weight = 1; // calls enqueued before weights were recorded
        }
    }

    /** A call at weight 1. */
    public Invocation(String id, String tenant, String function, String adapterName, String adapterVersion, String prompt,
                      int maxTokens, double temperature, double topP, int topK, Long seed, List<String> stop, boolean stream,
                      String replyTo, long acceptedAtMs, long deadlineMs) {
        this(id, tenant, function, adapterName, adapterVersion, prompt, maxTokens, temperature, topP, topK, seed, stop, stream,
                replyTo, acceptedAtMs, deadlineMs, 1);
    }

    public boolean expired(long nowMs) {
        return nowMs > deadlineMs;
    }
}
