package io.lorafn.bench.sim;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;

/**
 * One call of a trace: when it arrived, what it asked for, and what the running system measured for it
 * (from its activation record).
 *
 * @param adapter tenant/function@version: calls with the same adapter share it once it is loaded
 */
public record TraceCall(String id, long arrivalMs, String adapter, int promptTokens, int completionTokens, boolean succeeded,
                        long queueMs, long restoreMs, long adapterLoadMs, long ttftMs, long totalMs, boolean coldStart,
                        String adapterTier, String worker) {

    /** The call an activation record describes; null for one that has not finished. */
    public static TraceCall of(ActivationRecord r) {
        if (r.status() != ActivationStatus.SUCCEEDED && r.status() != ActivationStatus.FAILED || r.timings() == null) {
            return null;
        }
        return new TraceCall(r.id(), r.acceptedAtMs(), r.tenant() + "/" + r.function() + "@" + r.adapterVersion(),
                r.usage() != null ? r.usage().promptTokens() : 0, r.usage() != null ? r.usage().completionTokens() : 0,
                r.status() == ActivationStatus.SUCCEEDED, r.timings().queueMs(), r.timings().restoreMs(), r.timings().adapterLoadMs(),
                r.timings().ttftMs(), r.timings().totalMs(), r.coldStart(), r.adapterTier(), r.worker());
    }
}
