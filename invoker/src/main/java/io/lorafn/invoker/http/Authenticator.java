package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;

/** Who is calling: a tenant by its key (cached briefly), or the operator. */
final class Authenticator {
    private final TenantRegistry tenants;
    private final String operatorKey;
    /** Authenticated keys, briefly: a revoked key keeps working for at most this long. */
    private final Cache<String, Tenant> keyCache = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(5)).maximumSize(100_000).build();

    Authenticator(TenantRegistry tenants, String operatorKey) {
        this.tenants = tenants;
        this.operatorKey = operatorKey;
    }

    Future<Tenant> tenant(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return Future.failedFuture(new ApiError(401, "UNAUTHORIZED", "send 'Authorization: Bearer <tenant key>'"));
        }
        String key = header.substring("Bearer ".length()).trim();
        Tenant known = keyCache.getIfPresent(key);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return tenants.authenticate(key).compose(t -> {
            if (t.isEmpty()) {
                return Future.failedFuture(new ApiError(401, "UNAUTHORIZED", "the key is not valid"));
            }
            keyCache.put(key, t.get());
            return Future.succeededFuture(t.get());
        });
    }

    /** True for the operator key; otherwise answers 401 and returns false. */
    boolean operator(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        String key = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
        if (!TenantRegistry.isOperator(key, operatorKey)) {
            fail(ctx, new ApiError(401, "UNAUTHORIZED", "this needs the operator key"));
            return false;
        }
        return true;
    }
}
