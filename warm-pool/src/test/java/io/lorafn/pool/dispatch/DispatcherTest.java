package io.lorafn.pool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.WorkerStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dispatcher on a real redis-server: never more calls to a worker than it has slots. */
class DispatcherTest extends RealRedis {
    @Test
    void workersGetNoMoreCallsThanTheirSlotsAndTheRestWait() throws Exception {
        CallQueues queues = new CallQueues(redis);
        for (int i = 0; i < 10; i++) {
            await(queues.enqueue(call("gold-" + i, "d-gold")));
            await(queues.enqueue(call("free-" + i, "d-free")));
        }
        Dispatcher dispatcher = new Dispatcher(redis, Map.of("dw1", 2, "dw2", 2), t -> t.equals("d-gold") ? 3 : 1);
        assertEquals(4, await(dispatcher.dispatchOnce()));
        assertEquals(0, await(dispatcher.dispatchOnce()), "every slot is taken");
        WorkerStream w1 = new WorkerStream(redis, "dw1"), w2 = new WorkerStream(redis, "dw2");
        assertEquals(2L, await(w1.assigned()));
        assertEquals(2L, await(w2.assigned()));
        assertEquals(16L, await(queues.depth("d-gold")) + await(queues.depth("d-free")));
        assertEquals(3L, 10 - await(queues.depth("d-gold")), "weights 3:1 over 4 slots");

        await(w1.ensureGroup());
        List<WorkerStream.Delivery> taken = await(w1.read("c", 1, 100));
        await(w1.ack(taken.getFirst().entryId())); // one call finished: one slot frees
        assertEquals(1, await(dispatcher.dispatchOnce()));
        assertEquals(2L, await(w1.assigned()));
    }

    @Test
    void tierWeightsTravelWithTheCallsAndWorkersComeFromTheLiveSet() throws Exception {
        CallQueues queues = new CallQueues(redis);
        for (int i = 0; i < 10; i++) {
            Invocation gold = call("tg-" + i, "t-gold");
            await(queues.enqueue(new Invocation(gold.id(), gold.tenant(), "fn", "fn", "1", "hi", 4, 0, 1, 0, null, List.of(), false, "inv", 0,
                    Long.MAX_VALUE, 4)));
            await(queues.enqueue(call("tf-" + i, "t-free")));
        }
        List<WorkerInfo> live = new java.util.concurrent.CopyOnWriteArrayList<>();
        Dispatcher dispatcher = new Dispatcher(redis, () -> live);
        assertEquals(0, await(dispatcher.dispatchOnce()), "no live worker: the calls wait");
        assertEquals(20L, await(queues.depth("t-gold")) + await(queues.depth("t-free")));
        live.add(worker("tw1", 5, List.of(), List.of()));
        assertEquals(5, await(dispatcher.dispatchOnce()));
        assertEquals(4L, 10 - await(queues.depth("t-gold")), "weights 4:1, as the invoker recorded them, over 5 slots");
    }

    static WorkerInfo worker(String id, int slots, List<String> hot, List<String> warm) {
        return new WorkerInfo(id, "n", 1, WorkerState.WARM, slots, slots, hot, warm);
    }

    @Test
    void callsGoWhereTheirAdapterIsHotThenWarmThenToTheLeastLoaded() throws Exception {
        CallQueues queues = new CallQueues(redis);
        for (int i = 0; i < 3; i++) {
            await(queues.enqueue(new Invocation("aff-a-" + i, "aff-a", "fn", "bot", "1", "hi", 4, 0, 1, 0, null, List.of(), false, "inv", 0,
                    Long.MAX_VALUE)));
        }
        await(queues.enqueue(new Invocation("aff-b-0", "aff-b", "fn", "bot", "2", "hi", 4, 0, 1, 0, null, List.of(), false, "inv", 0,
                Long.MAX_VALUE)));
        await(queues.enqueue(new Invocation("aff-c-0", "aff-c", "fn", "bot", "1", "hi", 4, 0, 1, 0, null, List.of(), false, "inv", 0,
                Long.MAX_VALUE)));
        List<WorkerInfo> workers = List.of(worker("aff-cold", 8, List.of(), List.of()), worker("aff-hot", 2, List.of("aff-a/bot/1"), List.of()),
                worker("aff-warm", 2, List.of(), List.of("aff-b/bot/2")));
        assertEquals(5, await(new Dispatcher(redis, () -> workers).dispatchOnce()));
        Map<String, String> placedOn = new java.util.HashMap<>();
        for (WorkerInfo w : workers) {
            WorkerStream stream = new WorkerStream(redis, w.id());
            await(stream.ensureGroup());
            for (WorkerStream.Delivery d : await(stream.read("c", 10, 50))) {
                placedOn.put(d.call().id(), w.id());
            }
        }
        assertEquals("aff-hot", placedOn.get("aff-a-0"), "hot first");
        assertEquals("aff-hot", placedOn.get("aff-a-1"));
        assertEquals("aff-cold", placedOn.get("aff-a-2"), "the hot worker is full: the least loaded");
        assertEquals("aff-warm", placedOn.get("aff-b-0"), "warm before a cold worker with more free slots");
        assertEquals("aff-cold", placedOn.get("aff-c-0"), "held nowhere: the most free slots");
    }

    @Test
    void everyCallIsDispatchedOnceTheWorkersDrain() throws Exception {
        CallQueues queues = new CallQueues(redis);
        for (int i = 0; i < 7; i++) {
            await(queues.enqueue(call("drain-" + i, "d-drain")));
        }
        Dispatcher dispatcher = new Dispatcher(redis, Map.of("dw3", 3), t -> 1);
        WorkerStream w = new WorkerStream(redis, "dw3");
        await(w.ensureGroup());
        int delivered = 0;
        for (int round = 0; round < 30 && delivered < 7; round++) {
            await(dispatcher.dispatchOnce());
            for (WorkerStream.Delivery d : await(w.read("c", 10, 50))) {
                delivered += d.call().tenant().equals("d-drain") ? 1 : 0; // the other test's tenants share this Redis
                await(w.ack(d.entryId()));
            }
        }
        assertEquals(7, delivered);
        assertEquals(0L, await(queues.depth("d-drain")));
        await(dispatcher.dispatchOnce());
        assertEquals(false, await(queues.activeTenants()).contains("d-drain"), "an empty tenant leaves the active set");
    }

    @Test
    void theLoopKeepsWorkersBusyUntilTheQueuesAreEmpty() throws Exception {
        CallQueues queues = new CallQueues(redis);
        for (int i = 0; i < 12; i++) {
            await(queues.enqueue(call("loop-" + i, "d-loop")));
        }
        WorkerStream w = new WorkerStream(redis, "dw-loop");
        await(w.ensureGroup());
        try (DispatcherLoop loop = new DispatcherLoop(vertx, new Dispatcher(redis, java.util.Map.of("dw-loop", 2), t -> 1), 20).start()) {
            int done = 0;
            long deadline = System.currentTimeMillis() + 20_000;
            while (done < 12 && System.currentTimeMillis() < deadline) {
                for (WorkerStream.Delivery d : await(w.read("c", 10, 50))) {
                    assertTrue(await(w.assigned()) <= 2, "never more than the worker's slots");
                    done += d.call().tenant().equals("d-loop") ? 1 : 0;
                    await(w.ack(d.entryId()));
                }
            }
            assertEquals(12, done);
            assertTrue(loop.moved() >= 12);
        }
    }
}
