package io.lorafn.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.ResultChunk;
import io.lorafn.pool.contract.UsageEvent;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.ReplyChannel;
import io.lorafn.pool.queue.WorkerStream;
import io.lorafn.pool.redis.RedisClients;
import io.lorafn.pool.redis.RedisServerProcess;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.registry.AdapterRules;
import io.lorafn.storage.registry.AdapterValidator;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import io.lorafn.worker.adapters.AdapterCache;
import io.lorafn.worker.adapters.AdapterCacheConfig;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SchedulerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker's whole call path on real parts: a redis-server, the embedded S3 server with a pushed
 * adapter, the tiny model in the engine. Every call ends in a recorded result or a recorded error.
 */
class WorkerLoopTest {
    @TempDir
    static Path root;
    static RedisServerProcess redisServer;
    static Vertx vertx;
    static RedisAPI redis;
    static ObjectStore store;
    static LoadedModel model;
    static Scheduler scheduler;
    static AdapterCache adapters;
    static WorkerLoop loop;
    static CallQueues queues;

    @BeforeAll
    static void start() {
        Path modelDir = root.resolve("model");
        SyntheticModel.write(modelDir, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        redisServer = RedisServerProcess.start(root.resolve("redis"));
        vertx = Vertx.vertx();
        redis = RedisClients.api(vertx, redisServer.url());
        store = ObjectStore.open(ObjectStoreConfig.embedded(root.resolve("data")));
        model = LoadedModel.open(modelDir, 1);
        AdapterRegistry registry;
        try (ModelDirectory m = ModelDirectory.open(modelDir)) {
            registry = new AdapterRegistry(store, new AdapterValidator(m.config(), ResidentImageWriter.sourceHash(m),
                    AdapterRules.DEFAULT), AdapterRules.DEFAULT);
            Path adapterDir = root.resolve("adapter");
            SyntheticAdapter.write(adapterDir, modelDir, m.config(), new SyntheticAdapter.Spec(4, 8, List.of(Projection.values()), 1));
            registry.push(new AdapterRef("acme", "support", "1"), adapterDir, null);
            adapters = new AdapterCache(registry::fetch, m.config(), new AdapterCacheConfig(64L << 20, 64L << 20, 1),
                    new SimpleMeterRegistry());
        }
        scheduler = new Scheduler(model.engine(), model.tokenizer(), SchedulerConfig.defaults());
        scheduler.start();
        CallRunner runner = new CallRunner("w1", scheduler, model.tokenizer(), adapters, new ReplyChannel(redis));
        loop = new WorkerLoop(new WorkerStream(redis, "w1"), "w1-a", runner, 4, 30_000).start();
        queues = new CallQueues(redis);
    }

    @AfterAll
    static void stop() throws Exception {
        loop.close();
        scheduler.close();
        adapters.close();
        model.close();
        store.close();
        redis.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        redisServer.close();
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    static Invocation call(String id, String adapterName, boolean stream, long deadlineMs) {
        long now = System.currentTimeMillis();
        return new Invocation(id, "acme", "support", adapterName, "1", "hello world", 8, 0, 1, 0, 1L, List.of(), stream,
                "inv-1", now, deadlineMs == 0 ? now + 60_000 : deadlineMs);
    }

    /** Sends a call the way the dispatcher does, then waits for its activation to finish. */
    static ActivationRecord runToEnd(Invocation call) throws Exception {
        await(queues.enqueue(call));
        assertTrue(await(queues.moveOldest(call.tenant(), "w1")).isPresent());
        ReplyChannel replies = new ReplyChannel(redis);
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            ActivationRecord r = await(replies.activation(call.id()));
            if (r != null && r.status().finished()) {
                return r;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(call.id() + " did not finish");
    }

    static List<ResultChunk> chunks(String activationId) throws Exception {
        Thread.sleep(100); // the final chunk follows the record
        Response all = await(redis.xrange(List.of(RedisKeys.reply("inv-1"), "-", "+")));
        List<ResultChunk> out = new ArrayList<>();
        for (Response entry : all) {
            ResultChunk c = ContractJson.read(entry.get(1).get(1).toString(), ResultChunk.class);
            if (c.activationId().equals(activationId)) {
                out.add(c);
            }
        }
        return out;
    }

    @Test
    void aStreamedCallEndsWithItsTextUsageAndAUsageEvent() throws Exception {
        ActivationRecord r = runToEnd(call("ok-1", "support", true, 0));
        assertEquals(ActivationStatus.SUCCEEDED, r.status(), String.valueOf(r.error()));
        assertEquals(8, r.usage().completionTokens());
        assertTrue(r.usage().promptTokens() > 0);
        assertNotNull(r.timings());
        assertEquals("w1", r.worker(), "the record names the worker that ran it");
        assertTrue(List.of("hot", "warm", "cold").contains(r.adapterTier()), r.adapterTier());
        assertTrue(r.acceptedAtMs() > 0 && r.acceptedAtMs() <= System.currentTimeMillis(), "and when the call arrived");
        List<ResultChunk> chunks = chunks("ok-1");
        ResultChunk last = chunks.getLast();
        assertTrue(last.last());
        assertEquals(r.usage(), last.usage());
        StringBuilder streamed = new StringBuilder();
        for (int i = 0; i < chunks.size(); i++) {
            assertEquals(i, chunks.get(i).seq(), "in order");
            streamed.append(chunks.get(i).text());
        }
        assertEquals(r.output(), streamed.toString(), "the streamed text is the whole output");
        Response events = await(redis.xrange(List.of(RedisKeys.USAGE, "-", "+")));
        long mine = 0;
        for (Response e : events) {
            if (ContractJson.read(e.get(1).get(1).toString(), UsageEvent.class).activationId().equals("ok-1")) {
                mine++;
            }
        }
        assertEquals(1, mine);
    }

    @Test
    void aCallPastItsDeadlineIsSkippedAndRecorded() throws Exception {
        ActivationRecord r = runToEnd(call("late-1", "support", false, System.currentTimeMillis() - 1));
        assertEquals(ActivationStatus.FAILED, r.status());
        assertEquals("DEADLINE_EXCEEDED", r.error().code());
        assertTrue(chunks("late-1").getLast().last());
    }

    @Test
    void aCallForAnAdapterThatDoesNotExistEndsInARecordedError() throws Exception {
        ActivationRecord r = runToEnd(call("missing-1", "no-such-adapter", false, 0));
        assertEquals(ActivationStatus.FAILED, r.status());
        assertEquals("ADAPTER_NOT_FOUND", r.error().code());
    }

    @Test
    void nothingStaysPendingOnceCallsEnd() throws Exception {
        runToEnd(call("pending-1", "support", false, 0));
        WorkerStream stream = new WorkerStream(redis, "w1");
        long deadline = System.currentTimeMillis() + 5_000;
        while (await(stream.pending()) > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0L, await(stream.pending()), "acked after the result was written");
        while (loop.inFlight() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, loop.inFlight(), "every slot given back");
    }
}
