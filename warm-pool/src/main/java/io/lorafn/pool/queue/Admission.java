package io.lorafn.pool.queue;

/**
 * What {@link CallQueues#admit} decided about a call.
 *
 * @param worker       when admitted straight to a worker (no call was waiting anywhere and it had a free
 *                     slot), that worker; null when the call waits in its tenant's queue for the dispatcher
 * @param retryAfterMs when rate limited, milliseconds until the tenant's bucket has a token again
 * @param depth        when the queue was full, how many calls were waiting
 */
public record Admission(Outcome outcome, String entryId, String worker, long retryAfterMs, long depth) {
    /** Whether the call waits in its queue, so the dispatcher should look. */
    public boolean queued() {
        return outcome == Outcome.ADMITTED && worker == null;
    }

    public enum Outcome {
        ADMITTED, RATE_LIMITED, QUEUE_FULL
    }

    /**
     * A tenant's limits at admission.
     *
     * @param rps      token bucket refill, calls per second
     * @param burst    token bucket size
     * @param maxDepth calls the tenant may have waiting in its queue
     */
    public record Limits(double rps, int burst, int maxDepth) {
        public Limits {
            if (!(rps > 0) || burst < 1 || maxDepth < 1) {
                throw new IllegalArgumentException("admission needs rps > 0, burst >= 1 and a queue depth >= 1");
            }
        }
    }
}
