package io.lorafn.pool.cluster;

import io.lorafn.pool.dispatch.Dispatcher;
import io.lorafn.pool.dispatch.DispatcherLoop;
import io.lorafn.pool.scale.Autoscaler;
import io.lorafn.pool.scale.PoolControl;
import io.lorafn.pool.workers.WorkerDirectory;
import io.lorafn.pool.workers.WorkerEvents;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;

/**
 * The pool manager: the worker directory, the dispatcher and the autoscaler, run on every member that
 * could manage the pool but active only on the cluster's oldest member. When that member dies, the next
 * oldest takes over within its next ticks; the calls waiting meanwhile stay in their Redis queues, so none
 * is lost.
 */
public final class PoolManager implements AutoCloseable {
    private final WorkerDirectory directory;
    private final DispatcherLoop dispatcher;
    private final Autoscaler autoscaler;
    private final ClusterMember member;
    private final WorkerEvents events;

    /**
     * @param workers   this node's agent, which the autoscaler starts and stops workers through; null for a
     *                  fixed pool (workers started by someone else)
     * @param silenceMs a worker silent this long is dead and its calls go back to their queues
     * @param redisUrl  where workers announce their changes of state, followed so that a restored worker takes
     *                  calls at once; null to rely on the periodic refresh alone
     */
    public PoolManager(Vertx vertx, RedisAPI redis, ClusterMember member, PoolControl control, Autoscaler.Workers workers, long silenceMs,
                       String redisUrl) {
        this.member = member;
        this.directory = new WorkerDirectory(redis, member.workers(), silenceMs).start(vertx, 200, member::isOldest);
        this.events = redisUrl == null ? null : WorkerEvents.follow(vertx, redisUrl, directory::refreshSoon);
        this.dispatcher = new DispatcherLoop(vertx, new Dispatcher(redis, directory::placeable), 20).activeWhile(member::isOldest).start();
        this.autoscaler = workers == null ? null : new Autoscaler(vertx, redis, directory, control, workers, member::isOldest).start(250);
        directory.onChange(dispatcher::wake);
    }

    /** A call was queued: dispatch it, and if no worker can take calls, let the autoscaler start one now. */
    public void wake() {
        dispatcher.wake();
        if (autoscaler != null && directory.placeable().isEmpty()) {
            autoscaler.wake();
        }
    }

    public boolean leading() {
        return member.isOldest();
    }

    public WorkerDirectory directory() {
        return directory;
    }

    /** Null for a fixed pool. */
    public Autoscaler autoscaler() {
        return autoscaler;
    }

    @Override
    public void close() {
        if (events != null) {
            events.close();
        }
        if (autoscaler != null) {
            autoscaler.close();
        }
        dispatcher.close();
        directory.close();
    }
}
