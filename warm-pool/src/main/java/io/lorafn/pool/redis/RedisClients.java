package io.lorafn.pool.redis;

import io.vertx.core.Vertx;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisOptions;

/** How every lorafn process connects to Redis, in one place. */
public final class RedisClients {
    private RedisClients() {
    }

    /**
     * RESP2, so stream replies are plain arrays (RESP3 turns XREADGROUP's into maps, FACTS.md), and a
     * wait queue large enough for bursts of concurrent commands (the default of 24 refuses them).
     */
    public static RedisOptions options(String url) {
        return new RedisOptions().setConnectionString(url).setPreferredProtocolVersion(ProtocolVersion.RESP2)
                .setMaxPoolWaiting(4096).setMaxPoolSize(16);
    }

    public static RedisAPI api(Vertx vertx, String url) {
        return RedisAPI.api(Redis.createClient(vertx, options(url)));
    }
}
