package io.lorafn.invoker.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * Versions from the adapter registry: a fixed version is used as is (the worker refuses it if it does
 * not exist), {@code latest} is read from the registry's pointer, off the event loop, and kept for
 * {@code ttl} so that calls do not each cost an object-store read; a promotion or rollback takes effect
 * within that.
 */
public final class RegistryVersions implements VersionResolver {
    private final Vertx vertx;
    private final AdapterRegistry registry;
    private final Cache<AdapterName, String> latest;

    public RegistryVersions(Vertx vertx, AdapterRegistry registry, Duration ttl) {
        this.vertx = vertx;
        this.registry = registry;
        this.latest = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(100_000).build();
    }

    @Override
    public Future<String> resolve(String tenant, String adapter, String version) {
        if (!FunctionSpec.LATEST.equals(version)) {
            return Future.succeededFuture(version);
        }
        AdapterName name = new AdapterName(tenant, adapter);
        String known = latest.getIfPresent(name);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return vertx.executeBlocking(() -> registry.resolve(name, null).version()).onSuccess(v -> latest.put(name, v));
    }
}
