package io.lorafn.infra.stack;

import io.lorafn.bench.sim.TraceExport;
import io.lorafn.bench.workload.PoolSample;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.redis.RedisClients;
import io.lorafn.storage.peft.LoraAdapter;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A stack that is already running, reached as an operator would: tenants, adapters and functions through the
 * admin API, the pool through {@code GET /v1/admin/pool}, the calls' records through its Redis.
 */
final class RemoteWorkloadTarget implements WorkloadTarget {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final URI invoker;
    private final String adminKey;
    private final Vertx vertx = Vertx.vertx();
    private final RedisAPI redis;
    private final Path image;

    RemoteWorkloadTarget(URI invoker, String adminKey, String redisUrl, Path image) {
        this.invoker = invoker;
        this.adminKey = adminKey;
        this.redis = RedisClients.api(vertx, redisUrl);
        this.image = image;
    }

    @Override
    public URI invoker() {
        return invoker;
    }

    @Override
    public String createTenant(String id, Path adapterDir) throws Exception {
        JsonObject tenant = new JsonObject(send("POST", "/v1/admin/tenants", "application/json", new JsonObject().put("id", id).put("tier", "gold")
                .put("rate", new JsonObject().put("rps", 1000).put("burst", 1000)).encode().getBytes(StandardCharsets.UTF_8), 201));
        String boundary = "lorafn-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (String file : List.of(LoraAdapter.CONFIG_FILE, LoraAdapter.WEIGHTS_FILE)) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + file + "\"; filename=\"" + file
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.write(Files.readAllBytes(adapterDir.resolve(file)));
            body.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        send("PUT", "/v1/admin/tenants/" + id + "/adapters/bot/versions/1", "multipart/form-data; boundary=" + boundary, body.toByteArray(), 201);
        send("PUT", "/v1/admin/tenants/" + id + "/functions/fn", "application/json",
                new JsonObject().put("adapter", "bot").put("version", "1").put("timeout_ms", 120_000).encode().getBytes(StandardCharsets.UTF_8), 200);
        return tenant.getString("api_key");
    }

    @Override
    public PoolSample sample(Map<String, Long> restoreMs) throws Exception {
        JsonArray workers = new JsonObject(send("GET", "/v1/admin/pool", null, null, 200)).getJsonArray("workers");
        int placeable = 0;
        int busy = 0;
        for (int i = 0; i < workers.size(); i++) {
            JsonObject w = workers.getJsonObject(i);
            if (w.getLong("restore_ms", 0L) > 0) {
                restoreMs.put(w.getString("id"), w.getLong("restore_ms"));
            }
            placeable += List.of("WARM", "BUSY").contains(w.getString("state")) ? 1 : 0;
            busy += w.getInteger("free_slots") < w.getInteger("slots") ? 1 : 0;
        }
        return new PoolSample(System.currentTimeMillis(), workers.size(), workers.size() - placeable, busy);
    }

    @Override
    public List<ActivationRecord> finishedSince(long sinceMs) throws Exception {
        return TraceExport.finishedSince(redis, sinceMs);
    }

    @Override
    public List<Long> localWorkerPids() throws Exception {
        JsonArray workers = new JsonObject(send("GET", "/v1/admin/pool", null, null, 200)).getJsonArray("workers");
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            long pid = workers.getJsonObject(i).getLong("pid", 0L);
            // a worker on this machine: its process is here, and it is a lorafn worker
            Path cmdline = Path.of("/proc/" + pid + "/cmdline");
            if (pid > 0 && Files.isReadable(cmdline) && new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).contains("WorkerMain")) {
                pids.add(pid);
            }
        }
        return pids;
    }

    @Override
    public long imageBytes() {
        try {
            return image == null ? -1 : Files.size(image);
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private String send(String method, String path, String contentType, byte[] body, int expected) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(invoker.resolve(path)).header("Authorization", "Bearer " + adminKey)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            r.header("Content-Type", contentType);
        }
        HttpResponse<String> response = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return response.body();
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
