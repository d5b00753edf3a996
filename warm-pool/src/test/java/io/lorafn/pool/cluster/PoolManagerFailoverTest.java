package io.lorafn.pool.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.WorkerStream;
import io.lorafn.pool.scale.PoolConfig;
import io.lorafn.pool.workers.WorkerHeartbeats;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Two real Hazelcast members, each ready to run the pool: exactly one does, and the other takes over when it dies. */
class PoolManagerFailoverTest extends RealRedis {
    @Test
    void whenTheManagingMemberDiesTheOtherTakesOverAndNoQueuedCallIsLost() throws Exception {
        String cluster = "lorafn-failover-" + UUID.randomUUID();
        ClusterMember first = ClusterMember.start(ClusterMember.Settings.local(cluster));
        ClusterMember second = ClusterMember.start(ClusterMember.Settings.local(cluster));
        WorkerHeartbeats beats = new WorkerHeartbeats(redis);
        WorkerInfo worker = new WorkerInfo("fo-w", "n", 1, WorkerState.WARM, 100, 100, List.of(), List.of());
        long beating = vertx.setPeriodic(1, 100, t -> beats.beat(worker));
        try (PoolManager a = new PoolManager(vertx, redis, first, new ClusterPoolControl(first, PoolConfig.DEFAULT), null, 2000, null);
             PoolManager b = new PoolManager(vertx, redis, second, new ClusterPoolControl(second, PoolConfig.DEFAULT), null, 2000, null)) {
            assertTrue(a.leading() ^ b.leading(), "exactly one member runs the pool");
            PoolManager leader = a.leading() ? a : b;
            ClusterMember leaderMember = a.leading() ? first : second;
            PoolManager follower = a.leading() ? b : a;

            CallQueues queues = new CallQueues(redis);
            WorkerStream stream = new WorkerStream(redis, "fo-w");
            for (int i = 0; i < 5; i++) {
                await(queues.enqueue(call("fo-before-" + i, "fo-t")));
            }
            awaitAssigned(stream, 5);

            leaderMember.hazelcast().getLifecycleService().terminate(); // as abrupt as a kill -9, for the cluster
            for (int i = 0; i < 5; i++) {
                await(queues.enqueue(call("fo-after-" + i, "fo-t")));
            }
            long tookOver = System.currentTimeMillis();
            awaitAssigned(stream, 10);
            assertTrue(follower.leading(), "the survivor runs the pool now");
            assertTrue(!leader.leading());
            assertTrue(System.currentTimeMillis() - tookOver < 10_000);
            assertEquals(0L, await(queues.depth("fo-t")), "every queued call reached the worker");
        } finally {
            vertx.cancelTimer(beating);
            second.close();
            if (first.hazelcast().getLifecycleService().isRunning()) {
                first.close();
            }
        }
    }

    static void awaitAssigned(WorkerStream stream, long n) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (await(stream.assigned()) < n) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("only " + await(stream.assigned()) + " of " + n + " calls reached the worker");
            }
            Thread.sleep(20);
        }
    }
}
