package io.lorafn.worker.sched;

import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.LlamaEngine;

/**
 * Carries out what {@link BatchPlanner} decided and settles every sequence's future: each sequence ends in a
 * result or an error, and gives its KV blocks back either way. Used by the stepping thread only.
 */
final class StepRunner {
    private final LlamaEngine engine;
    private final BatchPlanner planner;

    StepRunner(LlamaEngine engine, BatchPlanner planner) {
        this.engine = engine;
        this.planner = planner;
    }

    /** One forward pass, then a sampled token for every sequence whose rows reached the end of its known tokens. */
    void run(StepPlan plan) {
        float[][] logits;
        try {
            logits = engine.forward(plan.rows());
        } catch (RuntimeException e) {
            // A pass that failed halfway may have written some caches; they are released with their sequences.
            plan.scheduled().forEach(s -> fail(s.sequence(), e));
            return;
        }
        for (StepPlan.Scheduled s : plan.scheduled()) {
            if (s.logitsRow() < 0) {
                continue;
            }
            Sequence seq = s.sequence();
            try {
                if (seq.state().accept(logits[s.logitsRow()])) {
                    planner.remove(seq);
                    seq.handle().result().complete(seq.state().result());
                }
            } catch (RuntimeException e) {
                fail(seq, e); // a throwing sink ends its own sequence only
            }
        }
    }

    /** Ends, between steps, every sequence whose caller cancelled it or its future. */
    void retireCancelled() {
        for (Sequence s : planner.removeIf(s -> s.handle().stopRequested())) {
            try {
                s.state().cancel(); // may release held-back text to the sink
                s.handle().result().complete(s.state().result());
            } catch (RuntimeException e) {
                s.handle().result().completeExceptionally(e);
            }
        }
    }

    /** Fails every queued or running sequence: the scheduler will run no more steps. */
    void failAll() {
        for (Sequence s : planner.removeIf(s -> true)) {
            s.handle().result().completeExceptionally(new WorkerException("SCHEDULER_CLOSED", "the scheduler closed before "
                    + "sequence " + s.id() + " finished (" + s.state().generated() + " tokens generated)"));
        }
    }

    private void fail(Sequence s, RuntimeException e) {
        planner.remove(s);
        s.handle().result().completeExceptionally(e);
    }
}
