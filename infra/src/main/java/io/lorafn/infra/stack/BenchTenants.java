package io.lorafn.infra.stack;

import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.storage.registry.AdapterRef;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The tenant a stack benchmark calls: gold tier, its adapter pushed as {@code bot} version 1, a function {@code fn} on it. */
final class BenchTenants {
    private BenchTenants() {
    }

    /**
     * @param timeoutMs the function's deadline; 0 for the invoker's default
     * @return the tenant's API key
     */
    static String create(LocalStack stack, String id, Path adapter, RateLimit rate, long timeoutMs) throws Exception {
        String key = new TenantRegistry(stack.redis()).create(new Tenant(id, Tenant.Tier.GOLD, rate))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).apiKey();
        stack.registry().push(new AdapterRef(id, "bot", "1"), adapter, null);
        new FunctionRegistry(stack.redis()).deploy(new FunctionSpec(id, "fn", "bot", "1", timeoutMs)).toCompletionStage()
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        return key;
    }
}
