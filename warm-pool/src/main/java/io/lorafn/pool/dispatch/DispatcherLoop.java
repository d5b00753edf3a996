package io.lorafn.pool.dispatch;

import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs {@link Dispatcher#dispatchOnce} continuously on a Vert.x timer: again at once while passes move
 * calls, every {@code idleMs} while they do not. One pass at a time; a failed pass (Redis unreachable)
 * is retried on the next tick, and calls wait in their queues meanwhile, so nothing is lost.
 */
public final class DispatcherLoop implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DispatcherLoop.class.getName());

    private final Vertx vertx;
    private final Dispatcher dispatcher;
    private final long idleMs;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong moved = new AtomicLong();
    private volatile boolean open = true;

    public DispatcherLoop(Vertx vertx, Dispatcher dispatcher, long idleMs) {
        this.vertx = vertx;
        this.dispatcher = dispatcher;
        this.idleMs = idleMs;
    }

    public DispatcherLoop start() {
        vertx.runOnContext(v -> pass());
        return this;
    }

    /** Calls moved to workers so far. */
    public long moved() {
        return moved.get();
    }

    private void pass() {
        if (!open || !running.compareAndSet(false, true)) {
            return;
        }
        dispatcher.dispatchOnce().onComplete(ar -> {
            running.set(false);
            if (!open) {
                return;
            }
            if (ar.failed()) {
                LOG.log(System.Logger.Level.WARNING, "dispatch pass failed: " + ar.cause());
                vertx.setTimer(idleMs, t -> pass());
            } else if (ar.result() > 0) {
                moved.addAndGet(ar.result());
                vertx.runOnContext(v -> pass());
            } else {
                vertx.setTimer(idleMs, t -> pass());
            }
        });
    }

    @Override
    public void close() {
        open = false;
    }
}
