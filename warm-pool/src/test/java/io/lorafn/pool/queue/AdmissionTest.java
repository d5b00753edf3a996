package io.lorafn.pool.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.RedisKeys;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Admission in one script, against a real redis-server: the shared token bucket, the queue depth, the record and the enqueue. */
class AdmissionTest extends RealRedis {
    static final Admission.Limits ROOMY = new Admission.Limits(100, 100, 1000);

    static Admission admit(CallQueues queues, String id, String tenant, Admission.Limits limits) throws Exception {
        return await(queues.admit(call(id, tenant), limits, "{\"id\":\"" + id + "\"}", 60));
    }

    @Test
    void anAdmittedCallIsRecordedAndQueuedTogether() throws Exception {
        CallQueues queues = new CallQueues(redis);
        Admission a = admit(queues, "adm-1", "adm-t", ROOMY);
        assertEquals(Admission.Outcome.ADMITTED, a.outcome());
        assertNotNull(a.entryId());
        assertEquals("{\"id\":\"adm-1\"}", await(redis.get(RedisKeys.activation("adm-1"))).toString());
        assertEquals(1L, await(queues.depth("adm-t")));
        assertTrue(await(queues.activeTenants()).contains("adm-t"));
    }

    @Test
    void aBurstIsAllowedThenCallsWaitForTheRefill() throws Exception {
        CallQueues queues = new CallQueues(redis);
        Admission.Limits limits = new Admission.Limits(2, 3, 1000);
        for (int i = 0; i < 3; i++) {
            assertEquals(Admission.Outcome.ADMITTED, admit(queues, "burst-" + i, "burst", limits).outcome(), "call " + i + " of the burst");
        }
        Admission refused = admit(queues, "burst-3", "burst", limits);
        assertEquals(Admission.Outcome.RATE_LIMITED, refused.outcome());
        assertTrue(refused.retryAfterMs() > 0 && refused.retryAfterMs() <= 500, "retry after " + refused.retryAfterMs());
        assertNull(await(redis.get(RedisKeys.activation("burst-3"))), "a refused call leaves no record");
        assertEquals(3L, await(queues.depth("burst")), "and is not queued");
        Thread.sleep(refused.retryAfterMs() + 20);
        assertEquals(Admission.Outcome.ADMITTED, admit(queues, "burst-4", "burst", limits).outcome(), "refilled");
    }

    @Test
    void tenantsHaveTheirOwnBuckets() throws Exception {
        CallQueues queues = new CallQueues(redis);
        Admission.Limits one = new Admission.Limits(0.1, 1, 1000);
        assertEquals(Admission.Outcome.ADMITTED, admit(queues, "own-1", "tenant-a", one).outcome());
        assertEquals(Admission.Outcome.RATE_LIMITED, admit(queues, "own-2", "tenant-a", one).outcome());
        assertEquals(Admission.Outcome.ADMITTED, admit(queues, "own-3", "tenant-b", one).outcome());
    }

    @Test
    void aFullQueueRefusesWithoutTakingAToken() throws Exception {
        CallQueues queues = new CallQueues(redis);
        Admission.Limits limits = new Admission.Limits(0.01, 3, 2);
        admit(queues, "full-1", "full", limits);
        admit(queues, "full-2", "full", limits);
        Admission refused = admit(queues, "full-3", "full", limits);
        assertEquals(Admission.Outcome.QUEUE_FULL, refused.outcome());
        assertEquals(2, refused.depth());
        await(queues.moveOldest("full", "full-worker"));
        assertEquals(Admission.Outcome.ADMITTED, admit(queues, "full-4", "full", limits).outcome(), "the third token was not spent on the refusal");
    }

    @Test
    void concurrentCallsFromManyInvokersNeverOverspendTheBurst() throws Exception {
        Admission.Limits limits = new Admission.Limits(0.01, 5, 1000);
        List<Future<Admission>> all = new ArrayList<>();
        for (int invoker = 0; invoker < 4; invoker++) {
            CallQueues queues = new CallQueues(redis); // each invoker loads the script itself
            for (int i = 0; i < 25; i++) {
                all.add(queues.admit(call("c-" + invoker + "-" + i, "contended"), limits, "{}", 60));
            }
        }
        Future.all(all).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(5, all.stream().filter(f -> f.result().outcome() == Admission.Outcome.ADMITTED).count());
    }

    @Test
    void theScriptIsReloadedAfterRedisForgetsIt() throws Exception {
        CallQueues queues = new CallQueues(redis);
        assertEquals(Admission.Outcome.ADMITTED, admit(queues, "reload-1", "reload", ROOMY).outcome());
        redis.script(List.of("FLUSH")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(Admission.Outcome.ADMITTED, admit(queues, "reload-2", "reload", ROOMY).outcome());
    }

    @Test
    void withNothingWaitingACallGoesStraightToAWorkerWithAFreeSlotAndOtherwiseWaitsItsTurn() throws Exception {
        CallQueues queues = new CallQueues(redis);
        await(redis.del(List.of(CallQueues.ACTIVE)));
        await(redis.hset(List.of(RedisKeys.PLACEABLE, "fast-w1", "{\"slots\": 1, \"hot\": [], \"warm\": []}",
                "fast-w2", "{\"slots\": 2, \"hot\": [], \"warm\": []}", "fast-w3", "{\"slots\": 1, \"hot\": [\"fast-h/fn/1\"], \"warm\": []}")));
        try {
            Admission affine = await(queues.admit(new io.lorafn.pool.contract.Invocation("fast-0", "fast-h", "fn", "fn", "1", "hi", 4, 0, 1,
                    0, null, List.of(), false, "inv", 0, Long.MAX_VALUE), ROOMY, "{}", 60));
            assertEquals("fast-w3", affine.worker(), "the worker with the call's adapter hot, though it has fewer free slots");
            Admission direct = admit(queues, "fast-1", "fast-a", ROOMY);
            assertEquals("fast-w2", direct.worker(), "held nowhere: the worker with the most free slots");
            assertEquals(0L, await(queues.depth("fast-a")));
            assertEquals(1L, await(new WorkerStream(redis, "fast-w2").assigned()));
            assertEquals("fast-w1", admit(queues, "fast-2", "fast-a", ROOMY).worker(), "slots are counted from the streams");
            assertEquals("fast-w2", admit(queues, "fast-3", "fast-a", ROOMY).worker());

            Admission full = admit(queues, "fast-4", "fast-a", ROOMY);
            assertTrue(full.queued(), "every slot taken: the call waits for the dispatcher");
            assertEquals(1L, await(queues.depth("fast-a")));
            await(new WorkerStream(redis, "fast-w1").ensureGroup());
            WorkerStream.Delivery done = await(new WorkerStream(redis, "fast-w1").read("c", 1, 100)).getFirst();
            await(new WorkerStream(redis, "fast-w1").ack(done.entryId()));
            assertTrue(admit(queues, "fast-5", "fast-b", ROOMY).queued(), "a free slot, but calls are waiting: no jumping the queue");
        } finally {
            await(redis.del(List.of(RedisKeys.PLACEABLE, CallQueues.ACTIVE)));
        }
    }
}
