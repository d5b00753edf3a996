package io.lorafn.invoker.http;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Versions from the adapter registry: a fixed version is used as is (the worker refuses it if it does
 * not exist), {@code latest} is read from the registry's pointer, off the event loop, and kept for
 * {@code ttl}, so a promotion or rollback takes effect within that. Past half of it a call still gets
 * the kept version at once while it is read again in the background, so under steady traffic no call
 * waits for the object store (that read was the invoker's slowest step, about 7 ms).
 */
public final class RegistryVersions implements VersionResolver {
    private final Vertx vertx;
    private final AsyncLoadingCache<AdapterName, String> latest;

    public RegistryVersions(Vertx vertx, AdapterRegistry registry, Duration ttl) {
        this.vertx = vertx;
        this.latest = Caffeine.newBuilder().refreshAfterWrite(ttl.dividedBy(2)).expireAfterWrite(ttl).maximumSize(100_000)
                .executor(LOADERS).buildAsync(name -> registry.resolve(name, null).version());
    }

    /** Object-store reads block; virtual threads keep them off the event loops and the common pool. */
    private static final Executor LOADERS = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("lorafn-latest-", 0).factory());

    @Override
    public Future<String> resolve(String tenant, String adapter, String version) {
        if (!FunctionSpec.LATEST.equals(version)) {
            return Future.succeededFuture(version);
        }
        return Future.fromCompletionStage(latest.get(new AdapterName(tenant, adapter)), vertx.getOrCreateContext())
                .recover(e -> Future.failedFuture(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e));
    }
}
