package io.lorafn.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.infra.stack.LocalStack;
import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.contract.WorkerState;
import io.lorafn.pool.scale.PoolConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.net.URI;
import io.lorafn.storage.s3.ObjectStoreConfig;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The elastic pool on the stack `up` runs: scale from zero and back, a failed restore replaced, knobs
 * changed at run time, affinity, and a worker killed under load. One stack, the tests in order, since
 * each leaves the pool as the next expects it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PoolScalingTest {
    static final HttpClient HTTP = RunningStack.HTTP;
    static final String OPERATOR = "pool-operator";
    static RunningStack running;
    static Path root;
    static Path model;
    static LocalStack stack;
    static Map<String, String> keys;

    @BeforeAll
    static void start() throws Exception {
        running = RunningStack.start("tiny", OPERATOR, b -> b.pool(new PoolConfig(0, 2, 0, 2, 8)).workerSlots(4));
        root = running.root;
        model = running.model;
        stack = running.stack;
        keys = running.keys;
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) {
            running.close();
        }
    }

    @Test
    @Order(1)
    void aCallAtZeroRestoresAWorkerAndThePoolGoesBackToZeroWhenIdle() throws Exception {
        assertEquals(List.of(), stack.workers().ids(), "min_warm 0: nothing runs before the first call");
        HttpResponse<String> r = call("acme", "{\"prompt\": \"hi\", \"max_tokens\": 2}");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject answer = new JsonObject(r.body());
        assertTrue(answer.getBoolean("cold_start"), answer.encode());
        long restoreMs = answer.getJsonObject("timings").getLong("restore_ms");
        assertTrue(restoreMs > 0 && restoreMs <= answer.getJsonObject("timings").getLong("total_ms"), answer.encode());
        assertEquals(1, stack.workers().ids().size());
        WorkerInfo w = stack.directory().live().values().iterator().next();
        assertTrue(w.restore() != null && w.restore().totalMs() == w.restoreMs(), "the restore's phases add up: " + w);
        awaitTrue(() -> stack.workers().ids().isEmpty() && stack.directory().live().isEmpty(), 20_000, "back to zero after idle_timeout_s");
    }

    @Test
    @Order(2)
    void aWorkerThatFailsItsRestoreIsMarkedFailedAndReplaced() throws Exception {
        Path weights = model.resolve("model.safetensors");
        Path aside = root.resolve("weights-aside");
        Files.move(weights, aside);
        try {
            assertEquals(200, putPool("{\"min_warm\": 1}").statusCode());
            awaitTrue(() -> stack.directory().live().values().stream().anyMatch(x -> x.state() == WorkerState.FAILED), 20_000,
                    "the failed restore is reported");
        } finally {
            Files.move(aside, weights);
        }
        awaitTrue(() -> stack.directory().placeable().size() == 1, 30_000, "a replacement is WARM");
        assertTrue(stack.workers().ids().stream().mapToInt(stack.workers()::restarts).sum() >= 1, "started again, under the same id");
    }

    @Test
    @Order(3)
    void knobsChangedAtRunTimeTakeEffect() throws Exception {
        assertEquals(200, putPool("{\"min_warm\": 2}").statusCode());
        awaitTrue(() -> stack.directory().placeable().size() == 2, 30_000, "min_warm 2: two workers warm");
        JsonObject pool = new JsonObject(running.get("/v1/admin/pool", OPERATOR).body());
        assertEquals(2, pool.getJsonObject("config").getInteger("min_warm"));
        JsonArray workers = pool.getJsonArray("workers");
        assertEquals(2, workers.size(), pool.encode());
        for (String field : List.of("id", "node", "state", "free_slots", "hot_adapters", "restore_ms")) {
            assertTrue(workers.getJsonObject(0).containsKey(field), field);
        }
        HttpResponse<String> bad = putPool("{\"min_warm\": 3}");
        assertEquals(400, bad.statusCode(), "min_warm above max_workers: " + bad.body());
        assertEquals(200, putPool("{\"max_workers\": 1, \"min_warm\": 1}").statusCode());
        awaitTrue(() -> stack.workers().ids().size() == 1 && stack.directory().live().size() == 1, 30_000, "max_workers 1: one worker left");
        assertEquals(200, putPool("{\"max_workers\": 2, \"min_warm\": 2}").statusCode());
        awaitTrue(() -> stack.directory().placeable().size() == 2, 30_000, "two again");
    }

    @Test
    @Order(4)
    void repeatedCallsOfATenantLandOnTheWorkerThatHoldsItsAdapter() throws Exception {
        String adapter = "globex/support-bot/1";
        assertEquals(200, call("globex", "{\"prompt\": \"hi\", \"max_tokens\": 1}").statusCode());
        awaitTrue(() -> holders(adapter) == 1, 5_000, "one worker holds the adapter");
        for (int i = 0; i < 10; i++) {
            assertEquals(200, call("globex", "{\"prompt\": \"hi\", \"max_tokens\": 1}").statusCode());
            Thread.sleep(300); // a heartbeat: the directory knows where the adapter is
        }
        assertEquals(1, holders(adapter), "every call went to the worker that had it: no second copy was loaded");
    }

    @Test
    @Order(5)
    void aWorkerKilledUnderLoadLosesNoCall() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            calls.add(HTTP.sendAsync(request("initech", "{\"prompt\": \"load " + i + "\", \"max_tokens\": 200}"),
                    HttpResponse.BodyHandlers.ofString()));
            if (i == 8) {
                stack.workers().process(stack.workers().ids().getFirst()).orElseThrow().destroyForcibly();
            }
            Thread.sleep(20);
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get();
            assertEquals(200, r.statusCode(), r.body());
        }
    }

    @Test
    @Order(6)
    void aSecondMachinesNodeAgentTakesItsShareOfThePoolAndServesThroughItsOwnInvoker() throws Exception {
        Path data = root.resolve("second-machine");
        try (LocalStack second = LocalStack.builder(model, data).clusterName(running.clusterName).operatorKey(OPERATOR)
                .redisUrl(stack.redisUrl()).node("second", 1).workerSlots(4)
                .objectStore(ObjectStoreConfig.resolve(stack.store().environmentForOtherProcesses(), null, null, null, null, null, data))
                .start()) {
            assertEquals(Set.of("local", "second"), stack.cluster().agentNodes().keySet());
            assertEquals(200, putPool("{\"max_workers\": 3, \"min_warm\": 3}").statusCode());
            awaitTrue(() -> stack.directory().placeable().size() == 3, 60_000, "three workers warm");
            assertEquals(1, second.workers().ids().size(), "the third went to the machine with none: " + second.workers().ids());
            assertEquals(List.of("second"), stack.directory().placeable().stream().filter(w -> second.workers().ids().contains(w.id()))
                    .map(WorkerInfo::node).toList(), "it reports its own node");
            HttpResponse<String> r = RunningStack.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.port()
                    + "/v1/functions/support/invocations")).header("Authorization", "Bearer " + keys.get("acme"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\", \"max_tokens\": 2}")).build());
            assertEquals(200, r.statusCode(), "the second machine's invoker serves the shared pool: " + r.body());
        }
        awaitTrue(() -> stack.cluster().agentNodes().keySet().equals(Set.of("local")), 20_000, "the second machine left");
        awaitTrue(() -> stack.directory().placeable().size() == 3 && stack.workers().ids().size() == 3, 60_000,
                "its worker was replaced on the machine that is left");
        assertEquals(200, putPool("{\"max_workers\": 2, \"min_warm\": 0}").statusCode());
    }

    static long holders(String adapter) {
        return stack.directory().live().values().stream().filter(w -> w.hotAdapters().contains(adapter) || w.warmAdapters().contains(adapter))
                .count();
    }

    static HttpResponse<String> putPool(String body) throws Exception {
        return running.put("/v1/admin/pool/config", OPERATOR, body);
    }

    static HttpResponse<String> call(String tenant, String body) throws Exception {
        return running.send(request(tenant, body));
    }

    static HttpRequest request(String tenant, String body) {
        return running.request("/v1/functions/support/invocations", keys.get(tenant), body);
    }

    static void awaitTrue(BooleanSupplier condition, long timeoutMs, String what) throws InterruptedException {
        RunningStack.awaitTrue(condition, timeoutMs, what);
    }
}
