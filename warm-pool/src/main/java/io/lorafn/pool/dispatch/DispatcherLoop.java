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
    private final AtomicBoolean again = new AtomicBoolean();
    private volatile long idleTimer = -1;
    private volatile boolean open = true;
    private volatile java.util.function.BooleanSupplier active = () -> true;

    public DispatcherLoop(Vertx vertx, Dispatcher dispatcher, long idleMs) {
        this.vertx = vertx;
        this.dispatcher = dispatcher;
        this.idleMs = idleMs;
    }

    /** Passes run only while {@code active} holds: the member that runs the pool; others stand by. */
    public DispatcherLoop activeWhile(java.util.function.BooleanSupplier active) {
        this.active = active;
        return this;
    }

    public DispatcherLoop start() {
        vertx.runOnContext(v -> pass());
        return this;
    }

    /** Calls moved to workers so far. */
    public long moved() {
        return moved.get();
    }

    /**
     * Runs a pass now instead of at the next idle tick: the invoker calls this after it enqueues, so a call
     * does not wait out the idle interval. A pass already under way is followed by another.
     */
    public void wake() {
        again.set(true);
        vertx.runOnContext(v -> pass());
    }

    private void pass() {
        if (!open || !running.compareAndSet(false, true)) {
            return;
        }
        if (!active.getAsBoolean()) {
            running.set(false);
            idleTimer = vertx.setTimer(idleMs, t -> pass());
            return;
        }
        again.set(false);
        if (idleTimer >= 0) {
            vertx.cancelTimer(idleTimer);
            idleTimer = -1;
        }
        dispatcher.dispatchOnce().onComplete(ar -> {
            running.set(false);
            if (!open) {
                return;
            }
            if (ar.failed()) {
                LOG.log(System.Logger.Level.WARNING, "dispatch pass failed: " + ar.cause());
                idleTimer = vertx.setTimer(idleMs, t -> pass());
            } else if (ar.result() > 0 || again.get()) {
                moved.addAndGet(ar.result());
                vertx.runOnContext(v -> pass());
            } else {
                idleTimer = vertx.setTimer(idleMs, t -> pass());
            }
        });
    }

    @Override
    public void close() {
        open = false;
    }
}
