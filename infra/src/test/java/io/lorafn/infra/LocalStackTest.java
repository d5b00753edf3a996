package io.lorafn.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.infra.stack.DemoTenants;
import io.lorafn.infra.stack.LocalStack;
import io.lorafn.storage.Progress;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticModel;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What `./lorafn up` starts: the assembled stack with the demo tenants answers their calls, and stops whole. */
class LocalStackTest {
    @TempDir
    Path root;

    @Test
    void theDemoTenantsCanCallTheirFunctionsAndClosingStopsRedisAndTheWorkers() throws Exception {
        Path model = root.resolve("model");
        SyntheticModel.write(model, ModelPreset.named("tiny"), DType.F32, 3, 0, Progress.NONE);
        long redisPid;
        long workerPid;
        try (LocalStack stack = LocalStack.builder(model, root.resolve("state")).workerSlots(4)
                .clusterName("lorafn-test-" + java.util.UUID.randomUUID()).start()) {
            workerPid = stack.workers().process(stack.workers().ids().getFirst()).orElseThrow().pid();
            Map<String, String> keys = DemoTenants.seed(stack, model, root.resolve("adapters"));
            assertEquals(DemoTenants.TENANTS, keys.keySet().stream().toList());
            HttpClient http = HttpClient.newHttpClient();
            for (String tenant : DemoTenants.TENANTS) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port()
                        + "/v1/functions/support/invocations")).header("Authorization", "Bearer " + keys.get(tenant))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\", \"max_tokens\": 3, \"temperature\": 0}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonObject answer = new JsonObject(r.body());
                // greedy, so the same every run; a sampled end-of-text token may end it early, never late
                int tokens = answer.getJsonObject("usage").getInteger("completion_tokens");
                assertTrue(tokens == 3 || tokens < 3 && "stop".equals(answer.getString("finish_reason")), r.body());
            }
            redisPid = ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").contains("redis-server")
                    && p.parent().flatMap(ProcessHandle::parent).map(pp -> pp.pid() == ProcessHandle.current().pid()).orElse(false))
                    .findFirst().map(ProcessHandle::pid).orElse(-1L);
            assertTrue(redisPid > 0, "a redis-server under this JVM");
        }
        long pid = redisPid;
        long deadline = System.currentTimeMillis() + 5000;
        while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "closing the stack stops its redis-server");
        assertFalse(ProcessHandle.of(workerPid).map(ProcessHandle::isAlive).orElse(false), "and its worker process");
    }
}
