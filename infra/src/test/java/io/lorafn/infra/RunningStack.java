package io.lorafn.infra;

import io.lorafn.infra.stack.DemoTenants;
import io.lorafn.infra.stack.LocalStack;
import io.lorafn.pool.Awaits;
import io.lorafn.storage.Progress;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * A local stack as `up` runs it, on a synthetic model, with the three demo tenants, for one test class;
 * its own Hazelcast cluster name, so no other stack on the machine is joined. Plus the HTTP helpers the
 * stack's tests share.
 */
final class RunningStack implements AutoCloseable {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    final Path root;
    final Path model;
    final String clusterName = "lorafn-test-" + UUID.randomUUID();
    final LocalStack stack;
    final Map<String, String> keys;

    private RunningStack(String preset, String operatorKey, UnaryOperator<LocalStack.Builder> settings) throws Exception {
        root = Files.createTempDirectory("lorafn-stack");
        model = root.resolve("model");
        SyntheticModel.write(model, ModelPreset.named(preset), DType.F32, 5, 0, Progress.NONE);
        stack = settings.apply(LocalStack.builder(model, root.resolve("state")).operatorKey(operatorKey).clusterName(clusterName)).start();
        keys = DemoTenants.seed(stack, model, root.resolve("adapters"));
    }

    /** @param settings the stack's settings beyond the model, the operator key and the cluster name */
    static RunningStack start(String preset, String operatorKey, UnaryOperator<LocalStack.Builder> settings) throws Exception {
        return new RunningStack(preset, operatorKey, settings);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + stack.port() + path);
    }

    HttpRequest request(String path, String key, String body) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    HttpResponse<String> post(String path, String key, String body) throws Exception {
        return send(request(path, key, body));
    }

    HttpResponse<String> get(String path, String key) {
        try {
            return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + key).build());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<String> put(String path, String key, String body) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + key).PUT(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    static HttpResponse<String> send(HttpRequest r) throws Exception {
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    }

    static void awaitTrue(BooleanSupplier condition, long timeoutMs, String what) throws InterruptedException {
        Awaits.awaitTrue(condition, timeoutMs, what);
    }

    @Override
    public void close() throws Exception {
        stack.close();
        try (var files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
