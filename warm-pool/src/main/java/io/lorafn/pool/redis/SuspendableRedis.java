package io.lorafn.pool.redis;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis client whose connections can be closed and made again under the same object, so that every
 * component holding its {@code RedisAPI} keeps working across a CRaC checkpoint and restore: a
 * checkpoint must hold no open socket. While suspended, commands fail at once with a clear error; the
 * worker's loops retry them after the restore.
 */
public final class SuspendableRedis implements Redis {
    private final Vertx vertx;
    private final String url;
    private volatile Redis current;
    private volatile boolean closed;

    private SuspendableRedis(Vertx vertx, String url) {
        this.vertx = vertx;
        this.url = url;
        this.current = Redis.createClient(vertx, RedisClients.options(url));
    }

    public static SuspendableRedis create(Vertx vertx, String url) {
        return new SuspendableRedis(vertx, url);
    }

    /** Closes every connection (waiting up to 10 s); commands fail until {@link #resume}. */
    public synchronized void suspend() throws Exception {
        Redis c = current;
        current = null;
        if (c != null) {
            c.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** Connects again, to the same URL; a no-op unless suspended. */
    public synchronized void resume() {
        if (current == null && !closed) {
            current = Redis.createClient(vertx, RedisClients.options(url));
        }
    }

    public boolean suspended() {
        return current == null;
    }

    @Override
    public Future<RedisConnection> connect() {
        Redis c = current;
        return c != null ? c.connect() : suspendedFailure();
    }

    @Override
    public Future<Response> send(Request command) {
        Redis c = current;
        return c != null ? c.send(command) : suspendedFailure();
    }

    @Override
    public Future<List<Response>> batch(List<Request> commands) {
        Redis c = current;
        return c != null ? c.batch(commands) : suspendedFailure();
    }

    @Override
    public synchronized Future<Void> close() {
        closed = true;
        Redis c = current;
        current = null;
        return c != null ? c.close() : Future.succeededFuture();
    }

    private <T> Future<T> suspendedFailure() {
        return Future.failedFuture(new IllegalStateException(closed ? "the Redis client is closed"
                : "Redis connections are closed for a checkpoint; they reopen after the restore"));
    }
}
