package io.lorafn.pool.contract;

/**
 * A piece of a call's result on the invoker's reply stream. Chunks of one call carry increasing
 * {@code seq}; the last one carries the finish reason, usage and timings, or the error.
 */
public record ResultChunk(String activationId, int seq, String text, boolean last, String finishReason, Usage usage,
                          Timings timings, boolean coldStart, ErrorInfo error) {
    public static ResultChunk text(String activationId, int seq, String text) {
        return new ResultChunk(activationId, seq, text, false, null, null, null, false, null);
    }

    public static ResultChunk failed(String activationId, int seq, ErrorInfo error, Timings timings) {
        return new ResultChunk(activationId, seq, "", true, "error", null, timings, false, error);
    }
}
