package io.lorafn.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.redis.RedisClients;
import io.lorafn.pool.redis.RedisServerProcess;
import io.lorafn.pool.redis.SuspendableRedis;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's CRaC resource on real parts (a redis-server, the embedded S3 server), driven the way a CRaC
 * JDK drives it, since no CRaC JDK runs here (FACTS.md): before the checkpoint no socket is left open, after
 * the restore the same clients work again.
 */
class WorkerConnectionsTest {
    @TempDir
    Path root;

    @Test
    void aCheckpointClosesEveryConnectionAndARestoreReopensThemUnderTheSameClients() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (RedisServerProcess server = RedisServerProcess.start(root.resolve("redis"));
             ObjectStore store = ObjectStore.open(ObjectStoreConfig.embedded(root.resolve("data")))) {
            RedisAPI observer = RedisClients.api(vertx, server.url());
            SuspendableRedis client = SuspendableRedis.create(vertx, server.url());
            RedisAPI redis = RedisAPI.api(client);
            await(redis.client(List.of("SETNAME", "worker-under-test")));
            await(redis.set(List.of("k", "v")));
            store.put("probe", new byte[] {1, 2, 3}, "application/octet-stream");
            assertTrue(store.openConnections() > 0);
            assertTrue(clients(observer).contains("name=worker-under-test"));

            AtomicInteger beats = new AtomicInteger(1); // running
            AtomicInteger inFlight = new AtomicInteger(1);
            WorkerConnections connections = new WorkerConnections(client, store, inFlight::get, () -> beats.set(0), () -> beats.set(1));
            IllegalStateException busy = assertThrows(IllegalStateException.class, () -> connections.beforeCheckpoint(null));
            assertTrue(busy.getMessage().contains("1 calls are in flight"), busy.getMessage());
            assertEquals("v", await(redis.get("k")).toString(), "a refused checkpoint leaves the connections alone");

            inFlight.set(0);
            connections.beforeCheckpoint(null);
            assertEquals(0, beats.get(), "heartbeats stopped");
            assertEquals(0, store.openConnections(), "no S3 connection held");
            assertFalse(clients(observer).contains("name=worker-under-test"), "no Redis connection held");
            ExecutionException refused = assertThrows(ExecutionException.class, () -> await(redis.get("k")));
            assertTrue(refused.getCause().getMessage().contains("closed for a checkpoint"), refused.getCause().getMessage());

            connections.afterRestore(null);
            assertEquals(1, beats.get(), "heartbeats resumed");
            assertEquals("v", await(redis.get("k")).toString(), "the same RedisAPI works again");
            assertEquals(3, store.get("probe").length, "and the same object store");
            await(client.close());
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static String clients(RedisAPI observer) throws Exception {
        return await(observer.client(List.of("LIST"))).toString();
    }

    private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
