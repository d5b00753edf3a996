package io.lorafn.worker.sched;

import io.lorafn.worker.engine.SequenceState;

/** A submitted request inside the scheduler: its generation state and the handle its caller holds. */
record Sequence(SequenceHandle handle, SequenceState state) {
    long id() {
        return handle.id();
    }
}
