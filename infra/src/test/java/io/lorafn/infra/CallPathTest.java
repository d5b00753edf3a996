package io.lorafn.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.billing.PriceSheet;
import io.lorafn.invoker.chat.ChatTemplate;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.invoker.http.InvokerConfig;
import io.lorafn.invoker.http.InvokerVerticle;
import io.lorafn.invoker.http.RegistryVersions;
import io.lorafn.invoker.limits.PromptLimit;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.pool.RealRedis;
import io.lorafn.pool.dispatch.Dispatcher;
import io.lorafn.pool.dispatch.DispatcherLoop;
import io.lorafn.pool.queue.ReplyChannel;
import io.lorafn.pool.queue.WorkerStream;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.registry.AdapterName;
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
import io.lorafn.worker.runtime.CallRunner;
import io.lorafn.worker.runtime.WorkerLoop;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SchedulerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The call path end to end on real parts, in one JVM: HTTP invoker → tenant queue in a real
 * redis-server → dispatcher → worker stream → worker (tiny model, adapter from the embedded S3 server)
 * → reply stream → HTTP answer. The worker as a separate process, and killing it, come next.
 */
class CallPathTest extends RealRedis {
    static Path root;
    static ObjectStore store;
    static AdapterRegistry adapterRegistry;
    static LoadedModel model;
    static Scheduler scheduler;
    static AdapterCache adapters;
    static WorkerLoop worker;
    static DispatcherLoop dispatcher;
    static InvokerVerticle invoker;
    static InvokerVerticle impatient;
    static String acmeKey, globexKey, slowKey;
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final PriceSheet PRICES = new PriceSheet(new BigDecimal("0.5"), new BigDecimal("1.5"), new BigDecimal("0.01"));
    static final List<String> BILLED = List.of("bill-a", "bill-b", "bill-c");
    static final Map<String, String> billedKeys = new java.util.HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("lorafn-callpath");
        Path modelDir = root.resolve("model");
        SyntheticModel.write(modelDir, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        store = ObjectStore.open(ObjectStoreConfig.embedded(root.resolve("data")));
        model = LoadedModel.open(modelDir, 1);
        AdapterRegistry registry;
        try (ModelDirectory m = ModelDirectory.open(modelDir)) {
            registry = new AdapterRegistry(store, new AdapterValidator(m.config(), ResidentImageWriter.sourceHash(m), AdapterRules.DEFAULT),
                    AdapterRules.DEFAULT);
            for (String tenant : Stream.concat(Stream.of("acme", "globex", "slowco"), BILLED.stream()).toList()) {
                Path dir = root.resolve("adapter-" + tenant);
                SyntheticAdapter.write(dir, modelDir, m.config(), new SyntheticAdapter.Spec(4, 8, List.of(Projection.values()), tenant.hashCode()));
                registry.push(new AdapterRef(tenant, "bot", "1"), dir, null);
            }
            adapters = new AdapterCache(registry::fetch, m.config(), new AdapterCacheConfig(64L << 20, 64L << 20, 1), new SimpleMeterRegistry());
            registry.onErase(adapters::evict);
        }
        scheduler = new Scheduler(model.engine(), model.tokenizer(), SchedulerConfig.defaults());
        scheduler.start();
        worker = new WorkerLoop(new WorkerStream(redis, "w1"), "w1-a", new CallRunner("w1", scheduler, model.tokenizer(), adapters,
                new ReplyChannel(redis)), 4, 30_000).start();
        dispatcher = newDispatcher();

        TenantRegistry tenants = new TenantRegistry(redis);
        acmeKey = await(tenants.create(new Tenant("acme", Tenant.Tier.GOLD, new RateLimit(100, 100)))).apiKey();
        globexKey = await(tenants.create(new Tenant("globex", Tenant.Tier.FREE, new RateLimit(0.05, 1)))).apiKey();
        slowKey = await(tenants.create(new Tenant("slowco", Tenant.Tier.FREE, new RateLimit(100, 100)))).apiKey();
        for (String tenant : BILLED) {
            billedKeys.put(tenant, await(tenants.create(new Tenant(tenant, Tenant.Tier.SILVER, new RateLimit(100, 100)))).apiKey());
        }
        FunctionRegistry functions = new FunctionRegistry(redis);
        for (String tenant : Stream.concat(Stream.of("acme", "globex", "slowco"), BILLED.stream()).toList()) {
            await(functions.deploy(new FunctionSpec(tenant, "support", "bot", FunctionSpec.LATEST)));
        }
        ChatTemplate chat = ChatTemplate.load(modelDir).orElseThrow();
        adapterRegistry = registry;
        invoker = deploy(new InvokerConfig("inv-main", "op", 3, 30_000, new PromptLimit(model.tokenizer(), 300), PRICES, chat), registry);
        impatient = deploy(new InvokerConfig("inv-impatient", "op", 100, 300, new PromptLimit(model.tokenizer(), 300), PRICES, chat), registry);
    }

    static DispatcherLoop newDispatcher() {
        return new DispatcherLoop(vertx, new Dispatcher(redis, Map.of("w1", 4), t -> 1), 10).start();
    }

    static InvokerVerticle deploy(InvokerConfig config, AdapterRegistry registry) throws Exception {
        InvokerVerticle v = new InvokerVerticle(config, redis, new RegistryVersions(vertx, registry, java.time.Duration.ofMillis(100)),
                registry, 0);
        await(vertx.deployVerticle(v));
        return v;
    }

    @AfterAll
    static void stop() throws Exception {
        dispatcher.close();
        worker.close();
        scheduler.close();
        adapters.close();
        model.close();
        store.close();
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static HttpResponse<String> post(InvokerVerticle to, String path, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.actualPort() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + invoker.actualPort() + path))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String code(HttpResponse<String> r) {
        return new JsonObject(r.body()).getJsonObject("error").getString("code");
    }

    @Test
    void aSyncCallAnswersWithItsOutputUsageAndTimings() throws Exception {
        HttpResponse<String> r = post(invoker, "/v1/functions/support/invocations", acmeKey,
                "{\"prompt\": \"hello world\", \"max_tokens\": 6, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject a = new JsonObject(r.body());
        assertEquals("support", a.getString("function"));
        assertEquals("1", a.getString("adapter_version"));
        assertEquals(6, a.getJsonObject("usage").getInteger("completion_tokens"));
        assertTrue(a.getJsonObject("timings").getLong("total_ms") >= 0);
        assertTrue(a.getString("finish_reason").equals("length"), a.encode());
    }

    @Test
    void aStreamedCallSendsEventsThenDone() throws Exception {
        HttpResponse<String> r = post(invoker, "/v1/functions/support/invocations", acmeKey,
                "{\"prompt\": \"hello\", \"max_tokens\": 5, \"stream\": true, \"temperature\": 0}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        assertTrue(r.body().contains("data: {\"id\""), r.body());
        assertTrue(r.body().contains("event: done"), r.body());
    }

    @Test
    void anAcceptedStreamIsAnsweredAtOnceAndADeadlineThatPassesLaterEndsItWithAnErrorEvent() throws Exception {
        dispatcher.close(); // the call waits in its queue past the impatient invoker's 300 ms deadline
        try {
            long start = System.nanoTime();
            HttpResponse<Stream<String>> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + impatient.actualPort()
                    + "/v1/functions/support/invocations")).header("Authorization", "Bearer " + acmeKey)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a\", \"max_tokens\": 1, \"stream\": true}")).build(),
                    HttpResponse.BodyHandlers.ofLines());
            double headersMs = (System.nanoTime() - start) / 1e6;
            assertEquals(200, r.statusCode(), "accepted: the stream's status and headers come at once");
            assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
            List<String> lines = r.body().toList();
            double endMs = (System.nanoTime() - start) / 1e6;
            assertTrue(headersMs < 250 && endMs >= 290, "headers after " + headersMs + " ms, the end after " + endMs + " ms");
            assertTrue(lines.contains("event: error") && lines.stream().anyMatch(l -> l.contains("DEADLINE_EXCEEDED")), lines.toString());
        } finally {
            dispatcher = newDispatcher();
        }
    }

    @Test
    void anAsyncCallIsReadBackOnlyByItsOwner() throws Exception {
        HttpResponse<String> r = post(invoker, "/v1/functions/support/invocations?async=true", acmeKey, "{\"prompt\": \"hi\", \"max_tokens\": 3}");
        assertEquals(202, r.statusCode(), r.body());
        String id = new JsonObject(r.body()).getString("id");
        JsonObject record = null;
        for (int i = 0; i < 200; i++) {
            record = new JsonObject(get("/v1/activations/" + id, acmeKey).body());
            if ("SUCCEEDED".equals(record.getString("status"))) {
                break;
            }
            Thread.sleep(25);
        }
        assertEquals("SUCCEEDED", record.getString("status"), record.encode());
        HttpResponse<String> other = get("/v1/activations/" + id, slowKey);
        assertEquals(403, other.statusCode());
        assertEquals(404, get("/v1/activations/no-such-id", acmeKey).statusCode());
    }

    @Test
    void badRequestsGetPreciseStatuses() throws Exception {
        assertEquals(401, post(invoker, "/v1/functions/support/invocations", null, "{\"prompt\": \"x\"}").statusCode());
        HttpResponse<String> wrongKey = post(invoker, "/v1/functions/support/invocations", "lf_not-a-key", "{\"prompt\": \"x\"}");
        assertEquals(401, wrongKey.statusCode());
        assertEquals("UNAUTHORIZED", code(wrongKey));
        HttpResponse<String> missing = post(invoker, "/v1/functions/nope/invocations", acmeKey, "{\"prompt\": \"x\"}");
        assertEquals(404, missing.statusCode());
        assertEquals("FUNCTION_NOT_FOUND", code(missing));
        assertEquals(400, post(invoker, "/v1/functions/support/invocations", acmeKey, "{not json").statusCode());
        HttpResponse<String> badField = post(invoker, "/v1/functions/support/invocations", acmeKey, "{\"prompt\": \"x\", \"max_tokens\": -2}");
        assertEquals(400, badField.statusCode());
        assertTrue(new JsonObject(badField.body()).getJsonObject("error").getString("message").contains("max_tokens"));
        HttpResponse<String> tooLong = post(invoker, "/v1/functions/support/invocations", acmeKey,
                "{\"prompt\": \"" + "one two three ".repeat(40) + "\"}");
        assertEquals(413, tooLong.statusCode(), tooLong.body());
        int tokens = model.tokenizer().encode("one two three ".repeat(40), true).length;
        assertEquals("the prompt is " + tokens + " tokens; the limit is 300",
                new JsonObject(tooLong.body()).getJsonObject("error").getString("message"));
        assertEquals(200, post(invoker, "/v1/functions/support/invocations", acmeKey,
                "{\"prompt\": \"" + "one two three ".repeat(3) + "\", \"max_tokens\": 1}").statusCode());
    }

    @Test
    void aTenantOverItsRateGets429WithRetryAfter() throws Exception {
        HttpResponse<String> first = post(invoker, "/v1/functions/support/invocations", globexKey, "{\"prompt\": \"a\", \"max_tokens\": 1}");
        assertEquals(200, first.statusCode(), first.body());
        HttpResponse<String> second = post(invoker, "/v1/functions/support/invocations", globexKey, "{\"prompt\": \"a\", \"max_tokens\": 1}");
        assertEquals(429, second.statusCode());
        assertTrue(Integer.parseInt(second.headers().firstValue("Retry-After").orElseThrow()) >= 1);
    }

    @Test
    void admissionControlAndDeadlinesWhileNoWorkerTakesCalls() throws Exception {
        dispatcher.close(); // calls now wait in their queues
        try {
            HttpResponse<String> late = post(impatient, "/v1/functions/support/invocations", slowKey, "{\"prompt\": \"a\", \"max_tokens\": 1}");
            assertEquals(504, late.statusCode(), late.body());
            assertEquals("DEADLINE_EXCEEDED", code(late));
            for (int i = 0; i < 2; i++) { // with the one above: 3 waiting, the main invoker's limit
                assertEquals(202, post(invoker, "/v1/functions/support/invocations?async=true", slowKey, "{\"prompt\": \"a\", \"max_tokens\": 1}")
                        .statusCode());
            }
            HttpResponse<String> full = post(invoker, "/v1/functions/support/invocations", slowKey, "{\"prompt\": \"a\"}");
            assertEquals(503, full.statusCode(), full.body());
            assertEquals("1", full.headers().firstValue("Retry-After").orElseThrow());
        } finally {
            dispatcher = newDispatcher();
        }
    }

    @Test
    void theBillingReportEqualsTheUsageEachClientReceived() throws Exception {
        Map<String, long[]> received = new java.util.HashMap<>(); // tenant -> requests, prompt, completion
        for (int i = 0; i < 9; i++) {
            String tenant = BILLED.get(i % 3);
            HttpResponse<String> r = post(invoker, "/v1/functions/support/invocations", billedKeys.get(tenant),
                    "{\"prompt\": \"call " + i + "\", \"max_tokens\": " + (1 + i % 4) + "}");
            assertEquals(200, r.statusCode(), r.body());
            JsonObject usage = new JsonObject(r.body()).getJsonObject("usage");
            long[] t = received.computeIfAbsent(tenant, k -> new long[3]);
            t[0]++;
            t[1] += usage.getInteger("prompt_tokens");
            t[2] += usage.getInteger("completion_tokens");
        }
        String day = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        for (String tenant : BILLED) {
            JsonObject total = null;
            for (int i = 0; i < 200; i++) { // the aggregator folds events within milliseconds
                total = new JsonObject(get("/v1/usage?from=" + day + "&to=" + day, billedKeys.get(tenant)).body()).getJsonObject("total");
                if (total.getLong("requests") == received.get(tenant)[0]) {
                    break;
                }
                Thread.sleep(25);
            }
            assertEquals(received.get(tenant)[0], total.getLong("requests"), tenant);
            assertEquals(received.get(tenant)[1], total.getLong("prompt_tokens"), tenant);
            assertEquals(received.get(tenant)[2], total.getLong("completion_tokens"), tenant);
        }
        HttpResponse<String> all = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + invoker.actualPort()
                + "/v1/admin/billing?from=" + day + "&to=" + day + "&format=csv")).header("Authorization", "Bearer op").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, all.statusCode());
        for (String tenant : BILLED) {
            assertTrue(all.body().contains(tenant + ",support," + day + "," + received.get(tenant)[0] + ","), all.body());
        }
        assertEquals(401, get("/v1/admin/billing?from=" + day + "&to=" + day, billedKeys.get("bill-a")).statusCode(), "tenants are not operators");
        assertEquals(400, get("/v1/usage?from=yesterday&to=" + day, billedKeys.get("bill-a")).statusCode());
    }

    static HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + invoker.actualPort() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theOperatorCreatesTenantsAndDeploysFunctionsThatTheirKeysThenCall() throws Exception {
        HttpResponse<String> created = send("POST", "/v1/admin/tenants", "op",
                "{\"id\": \"newco\", \"tier\": \"silver\", \"rate\": {\"rps\": 5, \"burst\": 5}}");
        assertEquals(201, created.statusCode(), created.body());
        String key = new JsonObject(created.body()).getString("api_key");
        assertEquals(409, send("POST", "/v1/admin/tenants", "op", "{\"id\": \"newco\", \"tier\": \"free\"}").statusCode());
        assertEquals(400, send("POST", "/v1/admin/tenants", "op", "{\"id\": \"x\", \"tier\": \"platinum\"}").statusCode());
        assertEquals(401, send("POST", "/v1/admin/tenants", key, "{\"id\": \"sneaky\"}").statusCode(), "a tenant key is not the operator's");
        // newco runs acme's adapter name under its own namespace: it has none, so the call ends in a recorded 404
        assertEquals(200, send("PUT", "/v1/admin/tenants/newco/functions/helper", "op", "{\"adapter\": \"bot\", \"version\": \"1\"}")
                .statusCode());
        assertEquals(404, send("PUT", "/v1/admin/tenants/nobody/functions/helper", "op", "{\"adapter\": \"bot\"}").statusCode());
        HttpResponse<String> call = post(invoker, "/v1/functions/helper/invocations", key, "{\"prompt\": \"hi\", \"max_tokens\": 2}");
        assertEquals(404, call.statusCode(), call.body());
        assertEquals("ADAPTER_NOT_FOUND", code(call));
    }

    @Test
    void metricsHealthAndReadinessAnswer() throws Exception {
        post(invoker, "/v1/functions/support/invocations", acmeKey, "{\"prompt\": \"m\", \"max_tokens\": 1}");
        HttpResponse<String> metrics = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + invoker.actualPort() + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("lorafn_http_requests_seconds_count{method=\"POST\",route=\"/v1/functions/:fn/invocations\""),
                metrics.body());
        assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + invoker.actualPort() + "/readyz")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode());
    }

    @Test
    void openAiCompletionsAndModelsFollowOpenAisSchema() throws Exception {
        HttpResponse<String> r = post(invoker, "/v1/completions", acmeKey,
                "{\"model\": \"support\", \"prompt\": \"hello\", \"max_tokens\": 4, \"temperature\": 0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject c = new JsonObject(r.body());
        assertEquals("text_completion", c.getString("object"));
        assertEquals("support", c.getString("model"));
        assertEquals("length", c.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
        JsonObject usage = c.getJsonObject("usage");
        assertEquals(usage.getInteger("prompt_tokens") + 4, usage.getInteger("total_tokens"));

        HttpResponse<String> s = post(invoker, "/v1/completions", acmeKey,
                "{\"model\": \"support\", \"prompt\": \"hello\", \"max_tokens\": 4, \"stream\": true}");
        assertEquals(200, s.statusCode());
        assertTrue(s.body().contains("\"object\":\"text_completion\""), s.body());
        assertTrue(s.body().trim().endsWith("data: [DONE]"), s.body());

        assertEquals(404, post(invoker, "/v1/completions", acmeKey, "{\"model\": \"nope\", \"prompt\": \"x\"}").statusCode());
        assertEquals(400, post(invoker, "/v1/completions", acmeKey, "{\"prompt\": \"x\"}").statusCode());

        JsonObject models = new JsonObject(get("/v1/models", acmeKey).body());
        assertEquals("list", models.getString("object"));
        assertEquals("support", models.getJsonArray("data").getJsonObject(0).getString("id"));
        assertEquals("acme", models.getJsonArray("data").getJsonObject(0).getString("owned_by"));
    }

    @Test
    void chatCompletionsRenderMessagesWithTheModelsTemplate() throws Exception {
        HttpResponse<String> r = post(invoker, "/v1/chat/completions", acmeKey, "{\"model\": \"support\", \"max_tokens\": 3, "
                + "\"temperature\": 0, \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, "
                + "{\"role\": \"user\", \"content\": \"Hi!\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonObject c = new JsonObject(r.body());
        assertEquals("chat.completion", c.getString("object"));
        assertEquals("assistant", c.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("role"));
        assertTrue(c.getJsonObject("usage").getInteger("prompt_tokens") > 10, "the template's headers were tokenized: " + c.encode());

        HttpResponse<String> s = post(invoker, "/v1/chat/completions", acmeKey, "{\"model\": \"support\", \"max_tokens\": 3, "
                + "\"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        assertEquals(200, s.statusCode());
        assertTrue(s.body().contains("chat.completion.chunk") && s.body().trim().endsWith("data: [DONE]"), s.body());
        assertEquals(400, post(invoker, "/v1/chat/completions", acmeKey, "{\"model\": \"support\", \"messages\": []}").statusCode());
        HttpResponse<String> nativeChat = post(invoker, "/v1/functions/support/invocations", acmeKey,
                "{\"max_tokens\": 2, \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}");
        assertEquals(200, nativeChat.statusCode(), nativeChat.body());
        assertEquals(400, post(invoker, "/v1/functions/support/invocations", acmeKey,
                "{\"prompt\": \"x\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}").statusCode());
        assertEquals(400, post(invoker, "/v1/chat/completions", acmeKey,
                "{\"model\": \"support\", \"messages\": [{\"role\": \"user\"}]}").statusCode());
    }

    static HttpResponse<String> upload(String path, Path adapterDir) throws Exception {
        String boundary = "lorafn-" + System.nanoTime();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file + "\"; filename=\"" + file
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            body.write(Files.readAllBytes(adapterDir.resolve(file)));
            body.write("\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + invoker.actualPort() + path))
                .header("Authorization", "Bearer op").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theOperatorUploadsAdapterVersionsAndErasesThem() throws Exception {
        Path good = root.resolve("adapter-acme"); // pushed at start as acme/bot@1: valid for this base model
        HttpResponse<String> created = upload("/v1/admin/tenants/acme/adapters/uploaded/versions/1", good);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("uploaded", new JsonObject(created.body()).getString("name"));
        assertEquals(409, upload("/v1/admin/tenants/acme/adapters/uploaded/versions/1", good).statusCode());

        Path bad = root.resolve("adapter-bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("adapter_config.json"), Files.readString(good.resolve("adapter_config.json")).replace("\"LORA\"", "\"IA3\""));
        Files.copy(good.resolve("adapter_model.safetensors"), bad.resolve("adapter_model.safetensors"));
        HttpResponse<String> refused = upload("/v1/admin/tenants/acme/adapters/broken/versions/1", bad);
        assertEquals(422, refused.statusCode(), refused.body());
        assertEquals(List.of(), store.list("adapters/acme/broken/"), "nothing stored");

        await(new FunctionRegistry(redis).deploy(new FunctionSpec("acme", "uploaded-fn", "uploaded", FunctionSpec.LATEST)));
        assertEquals(200, post(invoker, "/v1/functions/uploaded-fn/invocations", acmeKey, "{\"prompt\": \"hi\", \"max_tokens\": 1}").statusCode());
        HttpResponse<String> erased = send("DELETE", "/v1/admin/tenants/acme/adapters/uploaded", "op", "");
        assertEquals(200, erased.statusCode(), erased.body());
        assertEquals(List.of(), store.list("adapters/acme/uploaded/"));
        assertTrue(adapters.hotAdapters().stream().noneMatch(r -> r.name().equals("uploaded")), "gone from every tier");
        HttpResponse<String> after = post(invoker, "/v1/functions/uploaded-fn/invocations", acmeKey, "{\"prompt\": \"hi\", \"max_tokens\": 1}");
        assertEquals(404, after.statusCode(), after.body());
        assertEquals(404, send("DELETE", "/v1/admin/tenants/acme/adapters/uploaded", "op", "").statusCode());
    }

    @Test
    void anotherTenantsFunctionIsForbiddenAndAnUnknownOneNotFound() throws Exception {
        await(new FunctionRegistry(redis).deploy(new FunctionSpec("globex", "globex-private", "bot", "1")));
        HttpResponse<String> theirs = post(invoker, "/v1/functions/globex-private/invocations", acmeKey, "{\"prompt\": \"x\"}");
        assertEquals(403, theirs.statusCode(), theirs.body());
        assertEquals("FORBIDDEN", code(theirs));
        assertEquals(404, post(invoker, "/v1/functions/nobody-has-this/invocations", acmeKey, "{\"prompt\": \"x\"}").statusCode());
    }

    @Test
    void functionsOnLatestFollowPromotionsAndRollbacks() throws Exception {
        String key = await(new TenantRegistry(redis).create(new Tenant("versioned", Tenant.Tier.FREE, new RateLimit(100, 100)))).apiKey();
        adapterRegistry.push(new AdapterRef("versioned", "bot", "1"), root.resolve("adapter-acme"), null);
        await(new FunctionRegistry(redis).deploy(new FunctionSpec("versioned", "support", "bot", FunctionSpec.LATEST)));
        String body = "{\"prompt\": \"x\", \"max_tokens\": 1}";
        assertEquals("1", new JsonObject(post(invoker, "/v1/functions/support/invocations", key, body).body()).getString("adapter_version"));
        adapterRegistry.push(new AdapterRef("versioned", "bot", "2"), root.resolve("adapter-globex"), null);
        Thread.sleep(150); // the resolver keeps latest for 100 ms here
        assertEquals("2", new JsonObject(post(invoker, "/v1/functions/support/invocations", key, body).body()).getString("adapter_version"));
        adapterRegistry.rollback(new AdapterName("versioned", "bot"));
        Thread.sleep(150);
        assertEquals("1", new JsonObject(post(invoker, "/v1/functions/support/invocations", key, body).body()).getString("adapter_version"));
    }
}
