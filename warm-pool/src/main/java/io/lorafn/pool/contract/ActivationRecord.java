package io.lorafn.pool.contract;

/**
 * {@code lf:act:{id}}: an accepted call's status and, once it ends, its result or error.
 *
 * @param acceptedAtMs when the invoker accepted the call (epoch milliseconds): a trace's arrival time
 * @param worker       the worker that ran it; null while it waits
 * @param adapterTier  where its adapter came from on that worker, {@code hot}, {@code warm} or {@code cold}
 *                     (the object store); null when it never got that far
 */
public record ActivationRecord(String id, String tenant, String function, String adapterVersion, ActivationStatus status,
                               String output, String finishReason, Usage usage, Timings timings, boolean coldStart,
                               ErrorInfo error, long acceptedAtMs, String worker, String adapterTier) {
    public static ActivationRecord queued(Invocation call) {
        return new ActivationRecord(call.id(), call.tenant(), call.function(), call.adapterVersion(), ActivationStatus.QUEUED,
                null, null, null, null, false, null, call.acceptedAtMs(), null, null);
    }
}
