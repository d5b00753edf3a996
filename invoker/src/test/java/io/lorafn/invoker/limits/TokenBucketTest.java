package io.lorafn.invoker.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shared token bucket against a real redis-server. */
class TokenBucketTest extends RealRedis {
    static TokenBucket.Decision take(TokenBucket b, String tenant, RateLimit limit) throws Exception {
        return await(b.take(tenant, limit));
    }

    @Test
    void aBurstIsAllowedThenCallsWaitForTheRefill() throws Exception {
        TokenBucket bucket = new TokenBucket(redis);
        RateLimit limit = new RateLimit(2, 3);
        for (int i = 0; i < 3; i++) {
            assertTrue(take(bucket, "burst", limit).allowed(), "call " + i + " of the burst");
        }
        TokenBucket.Decision refused = take(bucket, "burst", limit);
        assertFalse(refused.allowed());
        assertTrue(refused.retryAfterMs() > 0 && refused.retryAfterMs() <= 500, "retry after " + refused.retryAfterMs());
        Thread.sleep(refused.retryAfterMs() + 20);
        assertTrue(take(bucket, "burst", limit).allowed(), "refilled");
    }

    @Test
    void tenantsHaveTheirOwnBuckets() throws Exception {
        TokenBucket bucket = new TokenBucket(redis);
        RateLimit one = new RateLimit(0.1, 1);
        assertTrue(take(bucket, "tenant-a", one).allowed());
        assertFalse(take(bucket, "tenant-a", one).allowed());
        assertTrue(take(bucket, "tenant-b", one).allowed());
    }

    @Test
    void concurrentCallsFromManyInvokersNeverOverspendTheBurst() throws Exception {
        RateLimit limit = new RateLimit(0.01, 5);
        List<Future<TokenBucket.Decision>> all = new ArrayList<>();
        for (int invoker = 0; invoker < 4; invoker++) {
            TokenBucket bucket = new TokenBucket(redis); // each invoker loads the script itself
            for (int i = 0; i < 25; i++) {
                all.add(bucket.take("contended", limit));
            }
        }
        Future.all(all).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(5, all.stream().filter(f -> f.result().allowed()).count());
    }

    @Test
    void theScriptIsReloadedAfterRedisForgetsIt() throws Exception {
        TokenBucket bucket = new TokenBucket(redis);
        RateLimit limit = new RateLimit(100, 100);
        assertTrue(take(bucket, "reload", limit).allowed());
        redis.script(List.of("FLUSH")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertTrue(take(bucket, "reload", limit).allowed());
    }
}
