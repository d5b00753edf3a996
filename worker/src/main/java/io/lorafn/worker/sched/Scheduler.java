package io.lorafn.worker.sched;

import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.KvBlockPool;
import io.lorafn.worker.engine.LlamaEngine;
import io.lorafn.worker.engine.SequenceState;
import io.lorafn.worker.engine.TokenRules;
import io.lorafn.worker.engine.TokenSink;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Continuous batching at the level of each step: sequences join and leave the batch between forward passes,
 * each with its own adapter, sampler and KV cache from one shared block pool. {@link BatchPlanner} decides
 * what a step runs; this class takes submissions from any thread, runs the steps, and completes results.
 *
 * <p>Drive it either by calling {@link #step()} from one thread, or by {@link #start()}, which runs steps on
 * a dedicated engine thread that parks while there is nothing to do. Sinks are called on the stepping thread.
 * {@link #close()} fails every unfinished sequence with {@code SCHEDULER_CLOSED}: no future is left hanging.
 */
public final class Scheduler implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Scheduler.class.getName());

    private final TokenRules rules;
    private final KvBlockPool pool;
    private final BatchPlanner planner;
    private final StepRunner runner;
    /** Submissions not yet seen by the stepping thread; the planner's own queues belong to that thread alone. */
    private final Queue<Sequence> incoming = new ConcurrentLinkedQueue<>();
    private final AtomicInteger incomingCount = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final Object lifecycle = new Object();
    private volatile boolean closed;
    private volatile Thread engineThread;
    private volatile Consumer<StepStats> listener = stats -> { };
    private boolean inStep;
    private volatile long steps;
    private volatile int runningCount;
    private volatile int waitingCount;
    private volatile long preemptionCount;

    /** @param tokenizer null for a model without one: tokens stream as ids and stop strings are refused */
    public Scheduler(LlamaEngine engine, Tokenizer tokenizer, SchedulerConfig config) {
        this.rules = TokenRules.of(engine, tokenizer);
        try {
            this.pool = engine.newBlockPool(config.kvBudgetBytes(), config.blockPositions());
        } catch (IllegalArgumentException e) {
            throw new WorkerException("BAD_SCHEDULER_CONFIG", "kvBudgetBytes: " + e.getMessage());
        }
        this.planner = new BatchPlanner(config, pool);
        this.runner = new StepRunner(engine, planner);
    }

    /**
     * Queues a sequence; it is admitted at a step when the batch has room. Its time to first token counts
     * from this call, so time spent queued is included.
     *
     * @throws WorkerException PROMPT_TOO_LONG, BAD_STOP, KV_CACHE_FULL (it could never fit the whole pool), or
     *                         SCHEDULER_CLOSED
     */
    public SequenceHandle submit(GenerationRequest req, TokenSink sink) {
        rules.check(req);
        planner.checkFitsAlone(req, rules.maxPositions(req));
        SequenceHandle handle = new SequenceHandle(ids.incrementAndGet());
        Sequence s = new Sequence(handle, new SequenceState(req, rules, pool.newSequence(), sink, System.nanoTime()));
        synchronized (lifecycle) {
            if (closed) {
                throw new WorkerException("SCHEDULER_CLOSED", "the scheduler is closed and accepts no more sequences");
            }
            incoming.add(s);
            incomingCount.incrementAndGet();
        }
        Thread t = engineThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
        return handle;
    }

    /**
     * Runs one step: retires cancelled sequences, plans a batch, runs the forward pass and samples for every
     * sequence whose rows reached the end of its known tokens. A failure of the pass fails the sequences in
     * the batch, not the scheduler. Call from one thread, and not after {@link #start()}.
     *
     * @return what ran; zero rows when there was nothing to do
     */
    public synchronized StepStats step() {
        Thread t = engineThread;
        if (t != null && t != Thread.currentThread()) {
            throw new IllegalStateException("the scheduler runs its own engine thread; do not call step()");
        }
        inStep = true;
        try {
            drainIncoming();
            runner.retireCancelled();
            StepPlan plan = planner.plan();
            if (!plan.rows().isEmpty()) {
                steps++; // before results complete, so a caller woken by one sees this step counted
                runner.run(plan);
            }
            runningCount = planner.running();
            waitingCount = planner.waiting();
            preemptionCount = planner.preemptions();
            StepStats stats = new StepStats(steps, plan.scheduled().size(), plan.decodeRows(), plan.prefillRows(),
                    plan.admitted(), plan.preempted(), runningCount, waitingCount, pool.freeBlocks());
            if (!plan.rows().isEmpty()) {
                listener.accept(stats);
            }
            return stats;
        } finally {
            inStep = false;
            if (closed) {
                failUnfinished();
            }
        }
    }

    private void drainIncoming() {
        for (Sequence s; (s = incoming.poll()) != null; ) {
            incomingCount.decrementAndGet();
            planner.enqueue(s);
        }
    }

    /** Runs steps on a dedicated engine thread until {@link #close()}; after this, {@link #step()} is off limits. */
    public void start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new WorkerException("SCHEDULER_CLOSED", "the scheduler is closed");
            }
            if (engineThread != null) {
                throw new IllegalStateException("the scheduler is already started");
            }
            Thread t = Thread.ofPlatform().name("lorafn-scheduler").daemon().unstarted(this::loop);
            engineThread = t;
            t.start();
        }
    }

    private void loop() {
        try {
            while (!closed) {
                if (incomingCount.get() == 0 && runningCount == 0 && waitingCount == 0) {
                    LockSupport.park(this); // submit() and close() unpark; a spurious wake-up just loops
                    continue;
                }
                try {
                    step();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.ERROR, "scheduler step failed", e);
                }
            }
        } finally {
            // Also on an Error: with no thread left to step, refuse new work and leave no future hanging.
            synchronized (lifecycle) {
                closed = true;
            }
            synchronized (this) {
                failUnfinished();
            }
        }
    }

    /**
     * Stops stepping at the next step boundary and fails every unfinished sequence with SCHEDULER_CLOSED.
     * Waits for the engine thread, unless called on it (from a sink).
     */
    @Override
    public void close() {
        Thread t;
        synchronized (lifecycle) {
            closed = true;
            t = engineThread;
        }
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the synchronized block below still waits for the step
            }
        }
        synchronized (this) {
            if (!inStep) {
                failUnfinished();
            }
        }
    }

    private void failUnfinished() {
        drainIncoming();
        runner.failAll();
        runningCount = 0;
        waitingCount = 0;
    }

    /** Called on the stepping thread after every step that ran rows. */
    public void onStep(Consumer<StepStats> listener) {
        this.listener = listener;
    }

    /** Steps that ran a batch. */
    public long steps() {
        return steps;
    }

    /** Sequences sent back to the queue for lack of KV blocks, in total. */
    public long preemptions() {
        return preemptionCount;
    }

    /** Sequences admitted and holding KV blocks, as of the last step. */
    public int running() {
        return runningCount;
    }

    /** Sequences submitted or preempted and not yet running. */
    public int waiting() {
        return waitingCount + incomingCount.get();
    }

    public int freeBlocks() {
        return pool.freeBlocks();
    }

    public int totalBlocks() {
        return pool.totalBlocks();
    }

    /** Nothing queued or running. */
    public boolean idle() {
        return running() == 0 && waiting() == 0;
    }
}
