package io.lorafn.pool.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real redis-server process, talked to with the Vert.x client, that never outlives its owner. */
class RedisServerProcessTest {
    @TempDir
    Path dir;

    @Test
    void serverAnswersTheVertxClientAndStopsWithClose() throws Exception {
        Vertx vertx = Vertx.vertx();
        long pid;
        try (RedisServerProcess redis = RedisServerProcess.start(dir)) {
            pid = redis.serverPid().orElseThrow();
            RedisAPI api = RedisAPI.api(Redis.createClient(vertx, redis.url()));
            api.set(List.of("lf:test", "42")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals("42", api.get("lf:test").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString());
            api.close();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertGone(pid);
    }

    @Test
    void serverStopsWhenItsOwnerIsKilled() throws Exception {
        Process owner = new ProcessBuilder("sleep", "60").start(); // stands in for a JVM killed with -9
        RedisServerProcess redis = RedisServerProcess.start(dir, owner.pid());
        long pid = redis.serverPid().orElseThrow();
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        owner.destroyForcibly().waitFor();
        assertGone(pid);
        redis.close();
    }

    @Test
    void aPersistentServerKeepsItsDataAcrossRestarts() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            try (RedisServerProcess redis = RedisServerProcess.start(dir, ProcessHandle.current().pid(), true)) {
                RedisAPI api = RedisAPI.api(Redis.createClient(vertx, redis.url()));
                api.set(List.of("lf:kept", "yes")).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                api.close();
            }
            try (RedisServerProcess redis = RedisServerProcess.start(dir, ProcessHandle.current().pid(), true)) {
                RedisAPI api = RedisAPI.api(Redis.createClient(vertx, redis.url()));
                assertEquals("yes", api.get("lf:kept").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).toString());
                api.close();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static void assertGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            Thread.sleep(50);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "redis-server " + pid + " is gone");
    }
}
