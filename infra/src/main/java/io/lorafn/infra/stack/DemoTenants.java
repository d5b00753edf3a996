package io.lorafn.infra.stack;

import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.synth.SyntheticAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Three demo tenants, one per tier, each with its own synthetic adapter (pushed through the registry,
 * validated like any upload) and a function {@code support} that runs it. Returns each tenant's key.
 */
public final class DemoTenants {
    public static final List<String> TENANTS = List.of("acme", "globex", "initech");
    private static final List<Tenant.Tier> TIERS = List.of(Tenant.Tier.GOLD, Tenant.Tier.SILVER, Tenant.Tier.FREE);

    private DemoTenants() {
    }

    /**
     * Creates what is missing. A tenant's key is shown only when it is created, so the demo keeps them in
     * {@code adapterRoot/demo-keys.json} (owner-only permissions) to print them again after a restart.
     */
    public static Map<String, String> seed(LocalStack stack, Path modelDir, Path adapterRoot) throws Exception {
        Path keyFile = adapterRoot.resolve("demo-keys.json");
        Map<String, String> saved = new LinkedHashMap<>();
        if (Files.exists(keyFile)) {
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(keyFile.toFile()).fields()
                    .forEachRemaining(e -> saved.put(e.getKey(), e.getValue().asText()));
        }
        ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
        TenantRegistry tenants = new TenantRegistry(stack.redis());
        FunctionRegistry functions = new FunctionRegistry(stack.redis());
        Map<String, String> keys = new LinkedHashMap<>();
        for (int i = 0; i < TENANTS.size(); i++) {
            String id = TENANTS.get(i);
            Path dir = adapterRoot.resolve(id);
            if (!Files.exists(dir.resolve("adapter_model.safetensors"))) {
                SyntheticAdapter.write(dir, modelDir, config, new SyntheticAdapter.Spec(8, 16, List.of(Projection.values()), 100 + i));
            }
            AdapterRef ref = new AdapterRef(id, "support-bot", "1");
            if (stack.registry().latest(ref.adapter()).isEmpty()) {
                stack.registry().push(ref, dir, null);
            }
            boolean exists = tenants.find(id).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).isPresent();
            if (exists && saved.containsKey(id)) {
                keys.put(id, saved.get(id));
            } else if (!exists) {
                keys.put(id, tenants.create(new Tenant(id, TIERS.get(i), new RateLimit(20, 40))).toCompletionStage().toCompletableFuture()
                        .get(30, TimeUnit.SECONDS).apiKey());
            } else {
                keys.put(id, "(created earlier; its key is not stored)");
            }
            functions.deploy(new FunctionSpec(id, "support", "support-bot", FunctionSpec.LATEST)).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
        Files.createDirectories(adapterRoot);
        Files.writeString(keyFile, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(keys));
        try {
            Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: left as created
        }
        return keys;
    }
}
