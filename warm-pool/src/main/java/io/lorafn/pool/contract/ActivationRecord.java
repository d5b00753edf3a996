package io.lorafn.pool.contract;

/** {@code lf:act:{id}}: an accepted call's status and, once it ends, its result or error. */
public record ActivationRecord(String id, String tenant, String function, String adapterVersion, ActivationStatus status,
                               String output, String finishReason, Usage usage, Timings timings, boolean coldStart,
                               ErrorInfo error) {
    public static ActivationRecord queued(Invocation call) {
        return new ActivationRecord(call.id(), call.tenant(), call.function(), call.adapterVersion(), ActivationStatus.QUEUED,
                null, null, null, null, false, null);
    }
}
