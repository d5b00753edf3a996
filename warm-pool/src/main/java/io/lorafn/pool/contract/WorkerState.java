package io.lorafn.pool.contract;

/** A worker's lifecycle (DESIGN.md): {@code STARTING → RESTORING → WARM ⇄ BUSY → DRAINING → STOPPED}, or {@code FAILED}. */
public enum WorkerState {
    STARTING, RESTORING, WARM, BUSY, DRAINING, STOPPED, FAILED;

    /** Whether the dispatcher may place new calls on a worker in this state. */
    public boolean takesCalls() {
        return this == WARM || this == BUSY;
    }
}
