package io.lorafn.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.infra.stack.LocalStack;
import io.lorafn.pool.cluster.ClusterMember;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.WorkerInfo;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stack as `./lorafn up` runs it, with two worker processes: a worker killed with SIGKILL in the middle
 * of a generation, erasures that reach workers in other processes, and the worker registry in Hazelcast.
 * The small preset, so that a generation lasts long enough to be interrupted.
 */
class WorkerProcessTest {
    static final HttpClient HTTP = RunningStack.HTTP;
    static final String OPERATOR = "test-operator";
    static RunningStack running;
    static LocalStack stack;
    static Map<String, String> keys;

    @BeforeAll
    static void start() throws Exception {
        running = RunningStack.start("small", OPERATOR, b -> b.workers(2).workerSlots(4));
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
    void aWorkerKilledMidGenerationLeavesTheCallToBeFinishedByItsReplacementExactlyOnce() throws Exception {
        String key = keys.get("acme");
        String body = "{\"prompt\": \"Tell me everything\", \"max_tokens\": 1500, \"temperature\": 0.8, \"seed\": 7";
        HttpResponse<String> reference = post("/v1/functions/support/invocations", key, body + "}");
        assertEquals(200, reference.statusCode(), reference.body());
        String expected = new JsonObject(reference.body()).getString("output");
        int tokens = new JsonObject(reference.body()).getJsonObject("usage").getInteger("completion_tokens");
        assertTrue(tokens > 100, "a generation long enough to interrupt: " + tokens);

        HttpResponse<java.util.stream.Stream<String>> streamed = HTTP.send(request("/v1/functions/support/invocations", key,
                body + ", \"stream\": true}"), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, streamed.statusCode());
        StringBuilder pieces = new StringBuilder();
        JsonObject done = null;
        String killed = null;
        int restartsBefore = 0;
        boolean finalEvent = false;
        Iterator<String> lines = streamed.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.equals("event: done")) {
                finalEvent = true;
            } else if (line.startsWith("data: ")) {
                JsonObject event = new JsonObject(line.substring(6));
                if (finalEvent) {
                    done = event;
                    break;
                }
                pieces.append(event.getString("text"));
                if (killed == null) {
                    killed = runningWorker();
                    restartsBefore = stack.workers().restarts(killed);
                    stack.workers().process(killed).orElseThrow().destroyForcibly(); // SIGKILL: no drain, no goodbye
                }
            }
        }
        assertTrue(killed != null && done != null, "the stream ended after the kill with a final event");
        assertEquals(expected, done.getString("output"), "the replacement produced the same answer");
        assertEquals(expected, pieces.toString(), "the client saw each piece once, in order");
        assertEquals(tokens, done.getJsonObject("usage").getInteger("completion_tokens"));
        String victim = killed;
        int before = restartsBefore;
        awaitTrue(() -> stack.workers().restarts(victim) == before + 1, 30_000, "the killed worker was started again");

        JsonObject usage = new JsonObject(get("/v1/usage?from=" + today() + "&to=" + today(), key).body()).getJsonObject("total");
        assertEquals(2, usage.getInteger("requests"), "billed once per call: " + usage.encode());
        assertEquals(2 * tokens, usage.getInteger("completion_tokens"));
    }

    @Test
    void aCallWhoseDeadlinePassesWhileItsWorkerIsDeadEndsInARecordedError() throws Exception {
        String key = keys.get("globex");
        HttpResponse<String> deploy = send(HttpRequest.newBuilder(uri("/v1/admin/tenants/globex/functions/hasty"))
                .header("Authorization", "Bearer " + OPERATOR)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"adapter\": \"support-bot\", \"timeout_ms\": 1000}")).build());
        assertEquals(200, deploy.statusCode(), deploy.body());
        HttpResponse<String> accepted = post("/v1/functions/hasty/invocations?async=true", key,
                "{\"prompt\": \"Go on\", \"max_tokens\": 1500, \"temperature\": 0}");
        assertEquals(202, accepted.statusCode(), accepted.body());
        String id = new JsonObject(accepted.body()).getString("id");
        awaitTrue(() -> runningWorker() != null, 10_000, "a worker took the call");
        String victim = runningWorker();
        int restartsBefore = stack.workers().restarts(victim);
        stack.workers().process(victim).orElseThrow().destroyForcibly();

        JsonObject[] record = new JsonObject[1];
        awaitTrue(() -> {
            record[0] = new JsonObject(get("/v1/activations/" + id, key).body());
            return "FAILED".equals(record[0].getString("status"));
        }, 30_000, "the call ended in a recorded error");
        assertEquals("DEADLINE_EXCEEDED", record[0].getJsonObject("error").getString("code"), record[0].encode());
        awaitTrue(() -> stack.workers().restarts(victim) == restartsBefore + 1, 30_000, "the killed worker was started again");
    }

    @Test
    void erasingAnAdapterEmptiesTheTiersOfWorkersInOtherProcesses() throws Exception {
        String key = keys.get("initech");
        assertEquals(200, post("/v1/functions/support/invocations", key, "{\"prompt\": \"hi\", \"max_tokens\": 2}").statusCode());
        String adapter = "initech/support-bot/1";
        awaitTrue(() -> stack.directory().live().values().stream().anyMatch(w -> w.hotAdapters().contains(adapter)), 10_000,
                "a worker reports the adapter hot");

        HttpResponse<String> erased = send(HttpRequest.newBuilder(uri("/v1/admin/tenants/initech/adapters/support-bot"))
                .header("Authorization", "Bearer " + OPERATOR).DELETE().build());
        assertEquals(200, erased.statusCode(), erased.body());
        awaitTrue(() -> stack.directory().live().values().stream().noneMatch(w -> w.hotAdapters().contains(adapter)
                || w.warmAdapters().contains(adapter)), 10_000, "no worker holds the adapter in any tier");
        HttpResponse<String> after = post("/v1/functions/support/invocations", key, "{\"prompt\": \"hi\", \"max_tokens\": 2}");
        assertEquals(404, after.statusCode(), after.body());
    }

    @Test
    void theWorkersAreInTheHazelcastRegistryThatEveryMemberSees() throws Exception {
        try (ClusterMember second = ClusterMember.start(ClusterMember.Settings.local(running.clusterName))) {
            assertEquals(2, second.hazelcast().getCluster().getMembers().size(), "a second member joined the stack's cluster");
            awaitTrue(() -> second.workers().size() == 2, 10_000, "both workers are in the map");
            for (WorkerInfo w : second.workers().values()) {
                long pid = stack.workers().process(w.id()).orElseThrow().pid();
                assertEquals(pid, w.pid(), "the entry names the worker's process");
                assertTrue(w.state().takesCalls(), w.toString());
                assertEquals(4, w.slots());
                assertTrue(w.restoreMs() > 0, w.toString());
            }
        }
    }

    /** The worker holding a call it has taken and not finished, or null. */
    static String runningWorker() {
        for (String id : stack.workers().ids()) {
            try {
                long pending = stack.redis().xpending(List.of(RedisKeys.workerStream(id), "workers")).toCompletionStage()
                        .toCompletableFuture().get(5, TimeUnit.SECONDS).get(0).toLong();
                if (pending > 0) {
                    return id;
                }
            } catch (Exception e) {
                // the stream may not exist yet
            }
        }
        return null;
    }

    static void awaitTrue(BooleanSupplier condition, long timeoutMs, String what) throws InterruptedException {
        RunningStack.awaitTrue(condition, timeoutMs, what);
    }

    static String today() {
        return LocalDate.now(ZoneOffset.UTC).toString();
    }

    static URI uri(String path) {
        return running.uri(path);
    }

    static HttpRequest request(String path, String key, String body) {
        return running.request(path, key, body);
    }

    static HttpResponse<String> post(String path, String key, String body) throws Exception {
        return running.post(path, key, body);
    }

    static HttpResponse<String> get(String path, String key) {
        return running.get(path, key);
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return RunningStack.send(r);
    }
}
