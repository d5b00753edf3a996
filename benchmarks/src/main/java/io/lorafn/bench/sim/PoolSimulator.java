package io.lorafn.bench.sim;

import io.lorafn.bench.Stats;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.pool.scale.ScalingPolicy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Replays a trace's arrivals against a model of the warm pool. The pool follows the autoscaler's own rule
 * ({@link ScalingPolicy}, a tick every 250 ms and one at once when a call finds no worker to take it; a
 * call that arrived since the last tick is demand);
 * a restore takes the measured time; a call goes to a worker with a free slot that holds its adapter
 * hot, then warm, then the least loaded; each worker keeps LRU hot and warm adapter tiers, and the calls
 * a restored worker's first step takes the measured first-call time more. Each worker runs its calls as
 * a continuous batch of steps, as the scheduler does ({@link #step}). Calls wait in
 * one FIFO queue: the real dispatcher shares the queue among tenants by DRR, which this leaves out. The
 * cost is integrated over the trace's span and one minute after its last arrival, the same window for
 * every setting.
 */
public final class PoolSimulator {
    static final long TICK_MS = 250;
    static final long TAIL_MS = 60_000;

    private enum Kind { ARRIVAL, READY, ACTIVATE, STEP, TICK }

    /** Tokens one step may carry, prompt and generated together (the scheduler's default). */
    static final int TOKENS_PER_STEP = 256;

    private record Event(double t, long seq, Kind kind, Worker worker, Call call) {
    }

    /** A call in a worker's batch: prompt tokens still to prefill, tokens still to generate after the first. */
    private static final class Sequence {
        final Call call;
        int prefillLeft;
        int decodeLeft;
        int prefillNow; // this step's share of the prompt
        boolean decodingNow;
        boolean firstToken;

        Sequence(Call call) {
            this.call = call;
            this.prefillLeft = Math.max(1, call.trace.promptTokens());
            this.decodeLeft = Math.max(0, call.trace.completionTokens() - 1);
        }
    }

    private static final class Call {
        final TraceCall trace;
        final double arrival;
        double ttft = Double.NaN;
        boolean cold;

        Call(TraceCall trace, double arrival) {
            this.trace = trace;
            this.arrival = arrival;
        }
    }

    private static final class Worker {
        final int id;
        double readyAt;
        boolean ready;
        boolean restored = true; // started during the run: its first calls run on a cold JIT
        boolean draining;
        boolean stopped;
        int busy;
        final List<Sequence> batch = new ArrayList<>();
        boolean stepping;
        boolean stepped;
        final LinkedHashSet<String> hot = new LinkedHashSet<>();
        final LinkedHashSet<String> warm = new LinkedHashSet<>();

        Worker(int id, double readyAt) {
            this.id = id;
            this.readyAt = readyAt;
        }

        boolean live() {
            return !stopped && !draining;
        }
    }

    private final PoolConfig knobs;
    private final PoolModel model;
    private final ScalingPolicy policy = new ScalingPolicy();
    private final PriorityQueue<Event> events = new PriorityQueue<>(Comparator.comparingDouble(Event::t).thenComparingLong(Event::seq));
    private final Deque<Call> queue = new ArrayDeque<>();
    private final List<Worker> workers = new ArrayList<>();
    private long seq;
    private double lastT;
    private double workerMs;
    private double idleMs;
    private int peak;
    private boolean arrivedSinceTick;

    private PoolSimulator(PoolConfig knobs, PoolModel model) {
        this.knobs = knobs;
        this.model = model;
    }

    /** Runs {@code trace} (its arrivals, prompt and output lengths, adapters) on a pool with {@code knobs}. */
    public static SimResult run(List<TraceCall> trace, PoolConfig knobs, PoolModel model) {
        return new PoolSimulator(knobs, model).simulate(trace);
    }

    private SimResult simulate(List<TraceCall> trace) {
        List<TraceCall> sorted = trace.stream().sorted(Comparator.comparingLong(TraceCall::arrivalMs)).toList();
        if (sorted.isEmpty()) {
            return new SimResult(knobs, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        long t0 = sorted.getFirst().arrivalMs();
        List<Call> calls = new ArrayList<>();
        for (TraceCall c : sorted) {
            Call call = new Call(c, c.arrivalMs() - t0);
            calls.add(call);
            schedule(call.arrival, Kind.ARRIVAL, null, call);
        }
        double end = calls.getLast().arrival + TAIL_MS;
        autoscale(0); // min_warm workers are up before the first call, as in a pool that has been running
        for (Worker w : workers) { // warm from before: not restored during the run
            w.ready = true;
            w.readyAt = 0;
            w.restored = false;
        }
        events.removeIf(e -> e.kind() == Kind.READY);
        schedule(TICK_MS, Kind.TICK, null, null);
        while (!events.isEmpty()) {
            Event e = events.poll();
            account(Math.min(e.t(), end));
            switch (e.kind()) {
                case ARRIVAL -> {
                    arrivedSinceTick = true;
                    queue.add(e.call());
                    dispatch(e.t());
                    if (workers.stream().noneMatch(w -> w.live() && w.ready)) {
                        autoscale(e.t()); // the pool manager wakes the autoscaler when no worker can take calls
                    }
                }
                case READY -> {
                    e.worker().ready = !e.worker().stopped;
                    dispatch(e.t());
                }
                case ACTIVATE -> {
                    Worker w = e.worker();
                    w.batch.add(new Sequence(e.call()));
                    if (!w.stepping) {
                        step(w, e.t());
                    }
                }
                case STEP -> finishStep(e.worker(), e.t());
                case TICK -> {
                    autoscale(e.t());
                    if (e.t() + TICK_MS <= end || !queue.isEmpty()) {
                        schedule(e.t() + TICK_MS, Kind.TICK, null, null);
                    }
                }
            }
        }
        account(end);
        double[] ttfts = calls.stream().filter(c -> !Double.isNaN(c.ttft)).mapToDouble(c -> c.ttft).toArray();
        int cold = (int) calls.stream().filter(c -> c.cold).count();
        return new SimResult(knobs, calls.size(), cold, percentile(ttfts, 0.5), percentile(ttfts, 0.95), percentile(ttfts, 0.99),
                workerMs / 1000, idleMs / 1000, peak);
    }

    private void schedule(double t, Kind kind, Worker w, Call c) {
        events.add(new Event(t, seq++, kind, w, c));
    }

    /** Integrates the workers alive, and those warm with nothing to do, up to {@code t}. */
    private void account(double t) {
        if (t <= lastT) {
            return;
        }
        int alive = 0;
        int idle = 0;
        for (Worker w : workers) {
            if (!w.stopped) {
                alive++;
                if (w.ready && !w.draining && w.busy == 0) {
                    idle++;
                }
            }
        }
        workerMs += alive * (t - lastT);
        idleMs += idle * (t - lastT);
        lastT = t;
    }

    private void autoscale(double t) {
        long demand = ScalingPolicy.demand(queue.size() + workers.stream().filter(w -> !w.stopped).mapToLong(w -> w.busy).sum(),
                arrivedSinceTick);
        arrivedSinceTick = false;
        int want = ScalingPolicy.wanted(knobs, demand);
        int keep = policy.keep(knobs, (long) t, want);
        List<Worker> live = workers.stream().filter(Worker::live).toList();
        if (want > live.size()) {
            for (int i = live.size(); i < want; i++) {
                Worker w = new Worker(workers.size() + 1, t + model.restoreMs());
                workers.add(w);
                schedule(w.readyAt, Kind.READY, w, null);
            }
        } else if (keep < live.size()) {
            // idle workers first, then the newest, as the autoscaler picks them
            List<Worker> victims = new ArrayList<>(live);
            victims.sort(Comparator.comparing((Worker w) -> !(w.ready && w.busy == 0)).thenComparing(w -> -w.id));
            for (Worker w : victims.subList(0, live.size() - keep)) {
                if (w.busy == 0) {
                    w.stopped = true;
                } else {
                    w.draining = true;
                }
            }
        }
        peak = Math.max(peak, (int) workers.stream().filter(w -> !w.stopped).count());
    }

    private void dispatch(double t) {
        while (!queue.isEmpty()) {
            Call c = queue.peek();
            String adapter = c.trace.adapter();
            Worker best = null;
            int bestRank = 3;
            for (Worker w : workers) {
                if (!w.live() || !w.ready || w.busy >= model.slots()) {
                    continue;
                }
                int rank = w.hot.contains(adapter) ? 0 : w.warm.contains(adapter) ? 1 : 2;
                if (best == null || rank < bestRank || rank == bestRank && w.busy < best.busy) {
                    best = w;
                    bestRank = rank;
                }
            }
            if (best == null) {
                return;
            }
            queue.poll();
            run(c, best, bestRank, t);
        }
    }

    private void run(Call c, Worker w, int tier, double t) {
        double load = tier == 0 ? 0 : tier == 1 ? model.warmLoadMs() : model.coldLoadMs();
        c.cold = tier == 2 || c.arrival < w.readyAt;
        w.busy++;
        w.warm.remove(c.trace.adapter());
        w.hot.remove(c.trace.adapter());
        w.hot.add(c.trace.adapter()); // most recently used last
        while (w.hot.size() > model.hotAdapters()) {
            String evicted = w.hot.removeFirst();
            w.warm.add(evicted);
        }
        while (w.warm.size() > model.warmAdapters()) {
            w.warm.removeFirst();
        }
        if (load == 0) {
            w.batch.add(new Sequence(c)); // joins the worker's next step
            if (!w.stepping) {
                step(w, t);
            }
        } else {
            schedule(t + load, Kind.ACTIVATE, w, c); // the adapter loads beside the worker's steps
        }
    }

    /**
     * One step of a worker's continuous batch: every sequence past its prompt generates a token, and prompts
     * fill the rest of the step's tokens in arrival order. It costs one pass over the weights plus the
     * tokens it carries; a restored worker's first step also pays its JIT's compiling.
     */
    private void step(Worker w, double t) {
        if (w.batch.isEmpty()) {
            w.stepping = false;
            return;
        }
        int tokens = 0;
        for (Sequence q : w.batch) {
            q.decodingNow = q.firstToken && q.decodeLeft > 0;
            tokens += q.decodingNow ? 1 : 0;
        }
        for (Sequence q : w.batch) {
            q.prefillNow = Math.min(q.prefillLeft, Math.max(0, TOKENS_PER_STEP - tokens));
            tokens += q.prefillNow;
        }
        double ms = model.stepMs(tokens) + (w.restored && !w.stepped ? model.firstCallMs() : 0);
        w.stepping = true;
        w.stepped = true;
        schedule(t + ms, Kind.STEP, w, null);
    }

    private void finishStep(Worker w, double t) {
        List<Sequence> finished = new ArrayList<>();
        for (Sequence q : w.batch) {
            if (q.decodingNow) {
                q.decodeLeft--;
            }
            if (q.prefillNow > 0) {
                q.prefillLeft -= q.prefillNow;
                if (q.prefillLeft == 0) {
                    q.firstToken = true; // sampled from the prompt's last position
                    q.call.ttft = t - q.call.arrival;
                }
            }
            q.prefillNow = 0;
            q.decodingNow = false;
            if (q.firstToken && q.decodeLeft == 0) {
                finished.add(q);
            }
        }
        for (Sequence q : finished) {
            w.batch.remove(q);
            w.busy--;
        }
        if (w.draining && w.busy == 0) {
            w.stopped = true;
        }
        if (!finished.isEmpty()) {
            dispatch(t); // freed slots take waiting calls, which join the next step
        }
        step(w, t);
    }

    private static double percentile(double[] v, double q) {
        return v.length == 0 ? 0 : Stats.percentile(v, q);
    }
}
