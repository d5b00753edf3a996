package io.lorafn.pool.contract;

/** Where an accepted call is. Every call ends SUCCEEDED or FAILED: none is lost. */
public enum ActivationStatus {
    QUEUED, RUNNING, SUCCEEDED, FAILED;

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED;
    }
}
