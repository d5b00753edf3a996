package io.lorafn.pool.scale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.Awaits;
import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.workers.WorkerDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The KPA-like sizing against a real redis-server, with a recording node agent. */
class AutoscalerTest extends RealRedis {
    /** A node agent that only records what it is told. */
    static final class RecordingWorkers implements Autoscaler.Workers {
        final List<String> running = new CopyOnWriteArrayList<>();
        final List<List<String>> prefetches = new CopyOnWriteArrayList<>();
        final List<String> stopped = new CopyOnWriteArrayList<>();

        @Override
        public List<String> ids() {
            return List.copyOf(running);
        }

        @Override
        public void start(List<String> prefetch) {
            running.add("w" + (running.size() + stopped.size() + 1));
            prefetches.add(prefetch);
        }

        @Override
        public void stop(String id) {
            running.remove(id);
            stopped.add(id);
        }
    }

    /** A fixed config in place of the cluster's. */
    static final class FixedControl implements PoolControl {
        volatile PoolConfig config;

        FixedControl(PoolConfig config) {
            this.config = config;
        }

        @Override
        public PoolConfig config() {
            return config;
        }

        @Override
        public PoolConfig update(Map<String, ?> changes) {
            config = config.with(changes);
            return config;
        }

        @Override
        public List<WorkerInfo> workers() {
            return List.of();
        }
    }

    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        Awaits.awaitTrue(condition, 10_000, what);
    }

    @Test
    void aCallAtZeroStartsAWorkerThatPrefetchesItsAdapterAndIdleWorkersGoAfterTheGracePeriod() throws Exception {
        await(redis.del(List.of(CallQueues.ACTIVE)));
        RecordingWorkers agent = new RecordingWorkers();
        FixedControl control = new FixedControl(new PoolConfig(0, 3, 0, 1, 2));
        WorkerDirectory directory = new WorkerDirectory(redis, new ConcurrentHashMap<>(), 60_000);
        try (Autoscaler autoscaler = new Autoscaler(vertx, redis, directory, control, agent, () -> true).start(50)) {
            Thread.sleep(200);
            assertEquals(List.of(), agent.running, "min_warm 0 and no demand: nothing runs");

            CallQueues queues = new CallQueues(redis);
            await(queues.enqueue(new Invocation("as-1", "as-t", "fn", "bot", "3", "hi", 4, 0, 1, 0, null, List.of(), false, "inv", 0,
                    Long.MAX_VALUE)));
            awaitTrue(() -> agent.running.size() == 1, "one worker for one waiting call");
            assertEquals(List.of("as-t/bot/3"), agent.prefetches.getFirst(), "it loads the waiting call's adapter while it restores");

            for (int i = 2; i <= 5; i++) {
                await(queues.enqueue(call("as-" + i, "as-t")));
            }
            awaitTrue(() -> agent.running.size() == 3, "5 calls at 2 per worker: 3 workers, the maximum");
            Thread.sleep(300);
            assertEquals(3, agent.running.size(), "never above max_workers");

            await(redis.del(List.of("lf:q:as-t")));
            Thread.sleep(400);
            assertEquals(3, agent.running.size(), "the need fell, but the grace period (1 s) has not passed");
            awaitTrue(() -> agent.running.isEmpty(), "back to zero after idle_timeout_s");

            control.update(Map.of("min_warm", 2));
            awaitTrue(() -> agent.running.size() == 2, "min_warm 2 keeps two warm with no traffic");
        } finally {
            await(redis.del(List.of(CallQueues.ACTIVE)));
        }
    }

    @Test
    void prewarmAddsHeadroomOnlyWhileThereIsTraffic() throws Exception {
        List<Integer> wanted = new ArrayList<>();
        RecordingWorkers agent = new RecordingWorkers();
        FixedControl control = new FixedControl(new PoolConfig(0, 5, 2, 0, 8));
        WorkerDirectory directory = new WorkerDirectory(redis, new ConcurrentHashMap<>(), 60_000);
        CallQueues queues = new CallQueues(redis);
        await(queues.enqueue(call("pw-1", "pw-t")));
        try (Autoscaler autoscaler = new Autoscaler(vertx, redis, directory, control, agent, () -> true).start(50)) {
            awaitTrue(() -> agent.running.size() == 3, "one for the call, two of headroom");
            wanted.add(autoscaler.wanted());
            await(redis.del(List.of("lf:q:pw-t", CallQueues.ACTIVE)));
            awaitTrue(() -> agent.running.isEmpty(), "no traffic, no headroom, no grace period");
        }
        assertTrue(wanted.getFirst() == 3);
    }

    @Test
    void callsShorterThanATickStillKeepAWorkerWhileTheyKeepComing() throws Exception {
        RecordingWorkers agent = new RecordingWorkers();
        FixedControl control = new FixedControl(new PoolConfig(0, 2, 0, 0.3, 8));
        WorkerDirectory directory = new WorkerDirectory(redis, new ConcurrentHashMap<>(), 60_000);
        try (Autoscaler autoscaler = new Autoscaler(vertx, redis, directory, control, agent, () -> true).start(50)) {
            Thread.sleep(150);
            // traffic whose calls come and go between ticks: nothing is ever waiting or assigned when a tick looks
            long until = System.currentTimeMillis() + 1500;
            while (System.currentTimeMillis() < until) {
                await(redis.incr(RedisKeys.ADMITTED));
                Thread.sleep(40);
                assertTrue(System.currentTimeMillis() < until - 1200 || agent.running.size() == 1,
                        "a worker serves the traffic, and is not scaled away under it: " + agent.running);
            }
            awaitTrue(() -> agent.running.isEmpty(), "the traffic stopped: back to zero after the grace period");
        }
    }

    @Test
    void aTickSeesAtLeastOneCallWhenOneArrivedSinceTheLast() {
        assertEquals(0, ScalingPolicy.demand(0, false));
        assertEquals(1, ScalingPolicy.demand(0, true));
        assertEquals(5, ScalingPolicy.demand(5, true));
        PoolConfig knobs = new PoolConfig(0, 4, 1, 10, 2);
        assertEquals(0, ScalingPolicy.wanted(knobs, 0), "no demand, no prewarm");
        assertEquals(4, ScalingPolicy.wanted(knobs, 5), "ceil(5 / 2) + 1 prewarm");
        assertEquals(4, ScalingPolicy.wanted(knobs, 100), "at most max_workers");
        ScalingPolicy policy = new ScalingPolicy();
        assertEquals(3, policy.keep(knobs, 0, 3));
        assertEquals(3, policy.keep(knobs, 9_000, 0), "within the grace period the most wanted stays");
        assertEquals(0, policy.keep(knobs, 20_000, 0), "after it, the pool goes down");
    }
}
