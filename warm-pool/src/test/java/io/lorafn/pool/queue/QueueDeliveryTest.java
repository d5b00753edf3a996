package io.lorafn.pool.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.dispatch.DeficitRoundRobin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Tenant queues, dispatch and worker streams on a real redis-server: no call lost, none run twice. */
class QueueDeliveryTest extends RealRedis {
    @Test
    void everyEnqueuedCallReachesAWorkerExactlyOnceInDrrOrder() throws Exception {
        CallQueues queues = new CallQueues(redis);
        Map<String, Integer> depths = new HashMap<>();
        Set<String> sent = new HashSet<>();
        for (String tenant : List.of("gold-co", "free-co")) {
            for (int i = 0; i < 20; i++) {
                String id = tenant + "-" + i;
                await(queues.enqueue(call(id, tenant)));
                sent.add(id);
            }
            depths.put(tenant, 20);
        }
        WorkerStream stream = new WorkerStream(redis, "w-order");
        await(stream.ensureGroup());
        await(stream.ensureGroup()); // idempotent
        DeficitRoundRobin drr = new DeficitRoundRobin(1);
        List<String> firstRound = drr.plan(depths, Map.of("gold-co", 3.0, "free-co", 1.0), 8);
        assertEquals(6, firstRound.stream().filter("gold-co"::equals).count(), "weights 3:1 over 8 slots");
        List<String> order = new ArrayList<>(firstRound);
        order.addAll(drr.plan(Map.of("gold-co", 14, "free-co", 18), Map.of("gold-co", 3.0, "free-co", 1.0), 32));
        for (String tenant : order) {
            assertTrue(await(queues.moveOldest(tenant, "w-order")).isPresent());
        }
        assertEquals(0L, await(queues.depth("gold-co")));
        assertEquals(0L, await(queues.depth("free-co")));
        assertTrue(await(queues.moveOldest("gold-co", "w-order")).isEmpty());

        Set<String> received = new HashSet<>();
        List<WorkerStream.Delivery> got;
        while (!(got = await(stream.read("w-order-c1", 16, 100))).isEmpty()) {
            for (WorkerStream.Delivery d : got) {
                assertTrue(received.add(d.call().id()), "delivered once: " + d.call().id());
                await(stream.ack(d.entryId()));
            }
        }
        assertEquals(sent, received);
        assertEquals(0L, await(stream.pending()));
    }

    @Test
    void callsOfAWorkerThatDiedBeforeAckingAreTakenOverByAnother() throws Exception {
        CallQueues queues = new CallQueues(redis);
        WorkerStream stream = new WorkerStream(redis, "w-crash");
        await(stream.ensureGroup());
        for (int i = 0; i < 3; i++) {
            await(queues.enqueue(call("crash-" + i, "crashco")));
            await(queues.moveOldest("crashco", "w-crash"));
        }
        List<WorkerStream.Delivery> taken = await(stream.read("dies", 10, 100)); // read, never acked: killed mid-call
        assertEquals(3, taken.size());
        assertEquals(3L, await(stream.pending()));
        assertEquals(List.of(), await(stream.reclaim("survivor", 60_000, 10)), "not idle long enough yet");
        Thread.sleep(60);
        List<WorkerStream.Delivery> reclaimed = await(stream.reclaim("survivor", 50, 10));
        assertEquals(taken.stream().map(d -> d.call().id()).toList(), reclaimed.stream().map(d -> d.call().id()).toList());
        for (WorkerStream.Delivery d : reclaimed) {
            await(stream.ack(d.entryId()));
        }
        assertEquals(0L, await(stream.pending()));
    }
}
