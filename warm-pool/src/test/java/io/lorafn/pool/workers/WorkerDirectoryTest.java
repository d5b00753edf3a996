package io.lorafn.pool.workers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.WorkerStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Heartbeats in, a registry out, and the calls of a worker that went silent back in their queues, on a real redis-server. */
class WorkerDirectoryTest extends RealRedis {
    static WorkerInfo worker(String id, WorkerState state) {
        return new WorkerInfo(id, "node-a", 42, state, 4, 4, List.of("t/a/1"), List.of());
    }

    @Test
    void liveWorkersAreMirroredAndOnlyThoseTakingCallsArePlaceable() throws Exception {
        WorkerHeartbeats beats = new WorkerHeartbeats(redis);
        Map<String, WorkerInfo> registry = new ConcurrentHashMap<>();
        WorkerDirectory directory = new WorkerDirectory(redis, registry, 60_000);
        long at = await(beats.beat(worker("m-warm", WorkerState.WARM)));
        await(beats.beat(worker("m-starting", WorkerState.STARTING)));
        await(directory.refresh());
        assertEquals(Set.of("m-warm", "m-starting"), registry.keySet().stream().filter(k -> k.startsWith("m-")).collect(Collectors.toSet()));
        assertTrue(registry.get("m-warm").lastSeenMs() >= at, "stamped with the server time of the heartbeat");
        assertEquals(List.of("t/a/1"), registry.get("m-warm").hotAdapters());
        assertTrue(directory.placeable().stream().anyMatch(w -> w.id().equals("m-warm")));
        assertFalse(directory.placeable().stream().anyMatch(w -> w.id().equals("m-starting")), "a starting worker gets no calls yet");
        await(beats.leave("m-warm"));
        await(beats.leave("m-starting"));
        await(directory.refresh());
        assertFalse(registry.containsKey("m-warm"), "a worker that left is out of the registry");
    }

    @Test
    void aWorkerThatTurnsWarmIsPlaceableAtOnceWithoutWaitingForTheNextRefresh() throws Exception {
        WorkerHeartbeats beats = new WorkerHeartbeats(redis);
        WorkerDirectory directory = new WorkerDirectory(redis, new ConcurrentHashMap<>(), 60_000).start(vertx, 3_600_000);
        await(directory.refresh()); // the periodic refresh ran once, at start; the next is an hour away
        try (WorkerEvents events = WorkerEvents.follow(vertx, server.url(), directory::refreshSoon)) {
            long subscribed = System.currentTimeMillis() + 10_000; // a fixed 300 ms was too short on a loaded machine
            while (await(redis.pubsub(List.of("NUMSUB", RedisKeys.WORKERS_CHANGED))).get(1).toLong() < 1
                    && System.currentTimeMillis() < subscribed) {
                Thread.sleep(10);
            }
            await(beats.beat(worker("e-restored", WorkerState.STARTING)));
            await(beats.beat(worker("e-restored", WorkerState.WARM)));
            long deadline = System.currentTimeMillis() + 2000;
            while (directory.placeable().stream().noneMatch(w -> w.id().equals("e-restored")) && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(directory.placeable().stream().anyMatch(w -> w.id().equals("e-restored")), "placeable on its announcement");
        } finally {
            directory.close();
            await(beats.leave("e-restored"));
        }
    }

    @Test
    void theCallsOfASilentWorkerGoBackToTheirQueuesOnceAndAReturningWorkerKeepsItsOwn() throws Exception {
        CallQueues queues = new CallQueues(redis);
        WorkerHeartbeats beats = new WorkerHeartbeats(redis);
        Map<String, WorkerInfo> registry = new ConcurrentHashMap<>();
        WorkerDirectory directory = new WorkerDirectory(redis, registry, 300);
        int[] changes = new int[1];
        directory.onChange(() -> changes[0]++);
        await(beats.beat(worker("s-dead", WorkerState.BUSY)));
        await(beats.beat(worker("s-back", WorkerState.BUSY)));
        WorkerStream dead = new WorkerStream(redis, "s-dead");
        await(dead.ensureGroup());
        for (int i = 0; i < 3; i++) {
            await(queues.enqueue(call("silent-" + i, i == 0 ? "s-t1" : "s-t2")));
            await(queues.moveOldest(i == 0 ? "s-t1" : "s-t2", "s-dead"));
        }
        assertEquals(2, await(dead.read("s-dead-1", 2, 10)).size(), "two running, one still waiting in the stream");
        await(queues.enqueue(call("kept", "s-t3")));
        await(queues.moveOldest("s-t3", "s-back"));

        Thread.sleep(400);
        await(beats.beat(worker("s-back", WorkerState.BUSY))); // a replacement under the same id, in time
        await(directory.refresh());
        assertEquals(1L, await(queues.depth("s-t1")));
        assertEquals(2L, await(queues.depth("s-t2")), "running and waiting calls alike went back");
        assertEquals(0L, await(dead.assigned()), "and left the dead worker's stream");
        assertEquals(3, directory.requeued());
        assertTrue(await(queues.activeTenants()).containsAll(List.of("s-t1", "s-t2")), "the dispatcher will look at them again");
        assertEquals(1L, await(new WorkerStream(redis, "s-back").assigned()), "the returning worker keeps its call");
        assertTrue(registry.containsKey("s-back"));
        assertFalse(registry.containsKey("s-dead"));
        assertTrue(changes[0] > 0, "the dispatcher is woken");

        await(directory.refresh());
        assertEquals(3, directory.requeued(), "requeued once");
    }

    @Test
    void aWorkerThatLeavesHandsBackWhatItDidNotFinish() throws Exception {
        CallQueues queues = new CallQueues(redis);
        WorkerHeartbeats beats = new WorkerHeartbeats(redis);
        await(beats.beat(worker("l-drained", WorkerState.DRAINING)));
        await(queues.enqueue(call("unfinished", "l-t")));
        await(queues.moveOldest("l-t", "l-drained"));
        await(beats.leave("l-drained"));
        assertEquals(1L, await(queues.depth("l-t")));
        assertEquals(0L, await(new WorkerStream(redis, "l-drained").assigned()));
    }
}
