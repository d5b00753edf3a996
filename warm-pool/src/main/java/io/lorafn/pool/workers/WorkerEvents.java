package io.lorafn.pool.workers;

import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.redis.RedisClients;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

/**
 * Follows {@link RedisKeys#WORKERS_CHANGED}, where a worker's heartbeat announces a change of state, on a
 * connection of its own (a subscribed connection takes no other commands). It only hastens the
 * directory: a restored worker is placeable as soon as it reports WARM rather than at the next refresh,
 * up to one refresh period later. A lost connection is made again after a second; the periodic
 * refresh covers the gap, so nothing depends on a message arriving.
 */
public final class WorkerEvents implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerEvents.class.getName());
    private static final long RECONNECT_MS = 1000;

    private final Vertx vertx;
    private final Redis client;
    private final Runnable onChange;
    private volatile RedisConnection connection;
    private volatile boolean open = true;

    private WorkerEvents(Vertx vertx, String redisUrl, Runnable onChange) {
        this.vertx = vertx;
        this.client = Redis.createClient(vertx, RedisClients.options(redisUrl));
        this.onChange = onChange;
    }

    /** Runs {@code onChange} on each announced change, until closed. */
    public static WorkerEvents follow(Vertx vertx, String redisUrl, Runnable onChange) {
        WorkerEvents events = new WorkerEvents(vertx, redisUrl, onChange);
        events.connect();
        return events;
    }

    private void connect() {
        if (!open) {
            return;
        }
        client.connect().compose(conn -> {
            connection = conn;
            conn.handler(this::received);
            conn.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "worker events connection: " + e));
            conn.endHandler(v -> reconnectLater());
            return conn.send(Request.cmd(Command.SUBSCRIBE).arg(RedisKeys.WORKERS_CHANGED));
        }).onFailure(e -> {
            LOG.log(System.Logger.Level.DEBUG, "could not follow worker events (" + e + "); retrying");
            reconnectLater();
        });
    }

    private void received(Response message) {
        // RESP2 delivers ["message", channel, worker id]; the subscription's own confirmation is not a change
        if (message != null && message.size() == 3 && "message".equals(message.get(0).toString())) {
            onChange.run();
        }
    }

    private void reconnectLater() {
        if (open) {
            vertx.setTimer(RECONNECT_MS, t -> connect());
        }
    }

    @Override
    public void close() {
        open = false;
        RedisConnection c = connection;
        if (c != null) {
            c.close();
        }
        client.close();
    }
}
