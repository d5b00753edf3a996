package io.lorafn.invoker.limits;

import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Per-tenant rate limiting shared by every invoker: one token bucket per tenant in Redis, updated by a
 * Lua script ({@code token_bucket.lua}) so that take-and-refill is atomic. Non-blocking: the answer is a
 * future on the caller's event loop.
 */
public final class TokenBucket {
    private static final String SCRIPT = load();

    private final RedisAPI redis;
    private volatile String sha;

    public TokenBucket(RedisAPI redis) {
        this.redis = redis;
    }

    /** Whether one call of {@code tenant} may proceed now; if not, how long until it could. */
    public Future<Decision> take(String tenant, RateLimit limit) {
        List<String> args = List.of("1", "lf:rl:" + tenant, Double.toString(limit.rps()), Integer.toString(limit.burst()), "1");
        Future<Response> reply = sha == null ? loadAndRun(args) : redis.evalsha(withSha(args)).recover(e -> {
            if (e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")) { // Redis restarted or flushed its scripts
                return loadAndRun(args);
            }
            return Future.failedFuture(e);
        });
        return reply.map(r -> new Decision(r.get(0).toInteger() == 1, r.get(1).toLong()));
    }

    private Future<Response> loadAndRun(List<String> args) {
        return redis.script(List.of("LOAD", SCRIPT)).compose(loaded -> {
            sha = loaded.toString();
            return redis.evalsha(withSha(args));
        });
    }

    private List<String> withSha(List<String> args) {
        return java.util.stream.Stream.concat(java.util.stream.Stream.of(sha), args.stream()).toList();
    }

    private static String load() {
        try (InputStream in = TokenBucket.class.getResourceAsStream("token_bucket.lua")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @param retryAfterMs when refused, milliseconds until one token is back (the 429's Retry-After) */
    public record Decision(boolean allowed, long retryAfterMs) {
    }
}
