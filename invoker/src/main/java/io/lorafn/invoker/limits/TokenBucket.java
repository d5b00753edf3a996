package io.lorafn.invoker.limits;

import io.lorafn.pool.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;

/**
 * Per-tenant rate limiting shared by every invoker: one token bucket per tenant in Redis, updated by a
 * Lua script ({@code token_bucket.lua}) so that take-and-refill is atomic. Non-blocking: the answer is a
 * future on the caller's event loop.
 */
public final class TokenBucket {
    private static final RedisScript SCRIPT = RedisScript.resource(TokenBucket.class, "token_bucket.lua");

    private final RedisAPI redis;

    public TokenBucket(RedisAPI redis) {
        this.redis = redis;
    }

    /** Whether one call of {@code tenant} may proceed now; if not, how long until it could. */
    public Future<Decision> take(String tenant, RateLimit limit) {
        return SCRIPT.run(redis, List.of("lf:rl:" + tenant), List.of(Double.toString(limit.rps()), Integer.toString(limit.burst()), "1"))
                .map(r -> new Decision(r.get(0).toInteger() == 1, r.get(1).toLong()));
    }

    /** @param retryAfterMs when refused, milliseconds until one token is back (the 429's Retry-After) */
    public record Decision(boolean allowed, long retryAfterMs) {
    }
}
