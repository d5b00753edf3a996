package io.lorafn.pool;

import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.redis.RedisClients;
import io.lorafn.pool.redis.RedisServerProcess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** A real redis-server and a Vert.x client for a test class: started once per class, stopped after it. */
public abstract class RealRedis {
    @TempDir
    static Path redisDir;
    protected static RedisServerProcess server;
    protected static Vertx vertx;
    protected static RedisAPI redis;

    @BeforeAll
    static void startRedis() {
        server = RedisServerProcess.start(redisDir);
        vertx = Vertx.vertx();
        redis = RedisClients.api(vertx, server.url());
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        server.close();
    }

    protected static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** A small call of {@code tenant} with no deadline. */
    protected static Invocation call(String id, String tenant) {
        return new Invocation(id, tenant, "fn", "fn", "1", "hi", 4, 0, 1, 0, null, List.of(), false, "inv", 0, Long.MAX_VALUE);
    }
}
