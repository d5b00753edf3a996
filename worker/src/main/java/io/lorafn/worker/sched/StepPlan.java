package io.lorafn.worker.sched;

import io.lorafn.worker.engine.BatchRow;
import java.util.List;

/**
 * One step's batch as planned: the rows to run, and for each sequence in it the row whose logits it samples
 * from ({@code -1} while its prompt is still being prefilled in chunks).
 */
record StepPlan(List<BatchRow> rows, List<Scheduled> scheduled, int decodeRows, int prefillRows, int admitted,
                int preempted) {
    record Scheduled(Sequence sequence, int logitsRow) {
    }

    StepPlan {
        rows = List.copyOf(rows);
        scheduled = List.copyOf(scheduled);
    }
}
