package io.lorafn.worker.sched;

import io.lorafn.worker.engine.GenerationResult;
import java.util.concurrent.CompletableFuture;

/** The caller's side of a submitted sequence. Safe to use from any thread. */
public final class SequenceHandle {
    private final long id;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private volatile boolean cancelRequested;
    private volatile int preemptions;

    SequenceHandle(long id) {
        this.id = id;
    }

    /** Unique within its scheduler, in submission order. */
    public long id() {
        return id;
    }

    /**
     * Stops the sequence at the next step boundary: its result completes with finish reason CANCELLED and the
     * tokens produced so far, and its KV blocks are freed. No effect once it has finished.
     */
    public void cancel() {
        cancelRequested = true;
    }

    /**
     * Completes with the result, or exceptionally with a {@code WorkerException} if the sequence failed or the
     * scheduler closed first. Cancelling or completing this future also stops the sequence.
     */
    public CompletableFuture<GenerationResult> result() {
        return result;
    }

    /** Times this sequence gave its KV blocks back and was recomputed later: latency it paid for others. */
    public int preemptions() {
        return preemptions;
    }

    void preempted() {
        preemptions++; // written by the stepping thread only
    }

    boolean stopRequested() {
        return cancelRequested || result.isDone();
    }
}
