package io.lorafn.worker.sched;

/**
 * What one scheduler step ran, and the queues after it.
 *
 * @param sequences   distinct sequences with rows in the step's batch
 * @param decodeRows  rows of sequences that were generating (one each)
 * @param prefillRows rows of prompt chunks, including recomputation of preempted sequences
 * @param admitted    sequences taken from the waiting queue in this step
 * @param preempted   sequences sent back to the waiting queue in this step
 */
public record StepStats(long step, int sequences, int decodeRows, int prefillRows, int admitted, int preempted,
                        int running, int waiting, int freeBlocks) {
    public int rows() {
        return decodeRows + prefillRows;
    }
}
