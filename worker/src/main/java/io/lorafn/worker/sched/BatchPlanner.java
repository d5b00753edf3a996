package io.lorafn.worker.sched;

import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.BatchRow;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.KvBlockPool;
import io.lorafn.worker.engine.KvCache;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Decides each step's batch, as vLLM's scheduler does (iteration-level scheduling, Orca, OSDI '22):
 * <ol>
 *   <li>every running sequence with one pending token gets its decode row, so decoding never waits behind a
 *       prompt;</li>
 *   <li>prompts still being prefilled continue in chunks, oldest first, within the row budget;</li>
 *   <li>waiting sequences are admitted FIFO while the batch size, the row budget and free KV blocks allow.</li>
 * </ol>
 *
 * <p>KV blocks: an admitted sequence takes blocks for everything it has to prefill at once, so a chunked
 * prompt never stalls halfway for memory; a decoding sequence takes a block every {@code blockPositions}
 * tokens. When a decode row finds no free block, the most recently admitted sequences are preempted (blocks
 * released, sequence put back at the head of the queue, to be recomputed from its tokens) until it fits.
 * The oldest running sequence therefore always progresses, and it fits the pool alone (checked at submit), so
 * the pool cannot deadlock. Capacity is taken before the forward pass, which then never grows a cache.
 *
 * <p>Used by the stepping thread only.
 */
final class BatchPlanner {
    private final SchedulerConfig config;
    private final KvBlockPool pool;
    /** In admission order: the tail is the most recently admitted, the first to be preempted. */
    private final List<Sequence> running = new ArrayList<>();
    private final ArrayDeque<Sequence> waiting = new ArrayDeque<>();
    private long preemptions;

    BatchPlanner(SchedulerConfig config, KvBlockPool pool) {
        this.config = config;
        this.pool = pool;
    }

    /**
     * Refuses a request that could not fit even with the whole pool to itself: admitting it could end with
     * it preempting everything and still not growing.
     *
     * @param positions the most KV positions the request can fill
     */
    void checkFitsAlone(GenerationRequest req, int positions) {
        int blocks = pool.blocksFor(positions);
        if (blocks <= pool.totalBlocks()) {
            return;
        }
        int capacity = pool.totalBlocks() * pool.blockPositions();
        int prompt = req.promptTokens().length;
        String fits = capacity >= prompt ? "with this prompt, max_tokens " + (capacity - prompt + 1) + " fits"
                : "the prompt alone is longer than that";
        throw new WorkerException("KV_CACHE_FULL", "the request can fill " + positions + " KV positions (" + prompt
                + " prompt tokens, max_tokens " + req.maxTokens() + ") = " + blocks + " blocks; the whole KV pool holds "
                + pool.totalBlocks() + " blocks of " + pool.blockPositions() + " positions (" + capacity + "): " + fits);
    }

    void enqueue(Sequence s) {
        waiting.addLast(s);
    }

    StepPlan plan() {
        List<BatchRow> rows = new ArrayList<>();
        List<StepPlan.Scheduled> scheduled = new ArrayList<>();
        long preemptionsBefore = preemptions;
        for (int i = 0; i < running.size(); i++) {
            Sequence s = running.get(i);
            if (s.state().pending() == 1 && reserveDecode(i)) {
                add(s, 1, rows, scheduled);
            }
        }
        int decodeRows = rows.size();
        for (Sequence s : running) {
            int budget = config.maxTokensPerStep() - rows.size();
            if (budget > 0 && s.state().pending() > 1) {
                add(s, budget, rows, scheduled);
            }
        }
        int admitted = 0;
        while (rows.size() < config.maxTokensPerStep() && running.size() < config.maxBatchSize() && admitHead()) {
            admitted++;
            add(running.getLast(), config.maxTokensPerStep() - rows.size(), rows, scheduled);
        }
        return new StepPlan(rows, scheduled, decodeRows, rows.size() - decodeRows, admitted,
                (int) (preemptions - preemptionsBefore));
    }

    /** Room for one more position of {@code running[i]}, preempting from the tail; false if it preempted itself. */
    private boolean reserveDecode(int i) {
        KvCache cache = running.get(i).state().cache();
        int positions = cache.length() + 1;
        while (cache.blocksNeeded(positions) > pool.freeBlocks()) {
            preempt(running.removeLast());
            if (running.size() == i) {
                return false;
            }
        }
        cache.ensureCapacity(positions);
        return true;
    }

    /** FIFO: a head that does not fit waits for memory, and nothing overtakes it, so large prompts never starve. */
    private boolean admitHead() {
        Sequence head = waiting.peekFirst();
        if (head == null) {
            return false;
        }
        KvCache cache = head.state().cache();
        int positions = cache.length() + head.state().pending();
        if (cache.blocksNeeded(positions) > pool.freeBlocks()) {
            return false;
        }
        cache.ensureCapacity(positions);
        running.add(waiting.pollFirst());
        return true;
    }

    private void preempt(Sequence victim) {
        victim.state().cache().release();
        waiting.addFirst(victim);
        victim.handle().preempted();
        preemptions++;
    }

    private static void add(Sequence s, int max, List<BatchRow> rows, List<StepPlan.Scheduled> scheduled) {
        List<BatchRow> chunk = s.state().nextRows(max);
        boolean reachesEnd = chunk.getLast().wantLogits();
        scheduled.add(new StepPlan.Scheduled(s, reachesEnd ? rows.size() + chunk.size() - 1 : -1));
        rows.addAll(chunk);
    }

    /** Takes out every running or waiting sequence that matches, giving back its blocks. */
    List<Sequence> removeIf(Predicate<Sequence> which) {
        List<Sequence> out = new ArrayList<>();
        for (List<Sequence> from : List.of(running, new ArrayList<>(waiting))) {
            for (Sequence s : from) {
                if (which.test(s)) {
                    out.add(s);
                }
            }
        }
        running.removeAll(out);
        waiting.removeAll(out);
        out.forEach(s -> s.state().cache().release());
        return out;
    }

    /** Sequence finished or failed: its blocks go back to the pool. */
    void remove(Sequence s) {
        running.remove(s);
        waiting.remove(s);
        s.state().cache().release();
    }

    int running() {
        return running.size();
    }

    int waiting() {
        return waiting.size();
    }

    long preemptions() {
        return preemptions;
    }
}
