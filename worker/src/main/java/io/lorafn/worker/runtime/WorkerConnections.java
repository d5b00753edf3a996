package io.lorafn.worker.runtime;

import io.lorafn.pool.redis.SuspendableRedis;
import io.lorafn.storage.s3.ObjectStore;
import java.util.function.IntSupplier;
import org.crac.Context;
import org.crac.Resource;

/**
 * The worker's external connections as one CRaC resource. A checkpoint must hold no open socket, and a
 * restored process must not use connections the checkpoint froze: before a checkpoint the heartbeats stop
 * and the Redis and S3 connections close; after the restore they reopen and the worker reports itself at
 * once. The worker needs no Hazelcast client (it reports through Redis), so there is none to close. A
 * worker with calls in flight refuses the checkpoint: drain it first.
 */
final class WorkerConnections implements Resource {
    private static final System.Logger LOG = System.getLogger(WorkerConnections.class.getName());

    private final SuspendableRedis redis;
    private final ObjectStore store;
    private final IntSupplier callsInFlight;
    private final Runnable stopHeartbeats;
    private final Runnable startHeartbeats;

    WorkerConnections(SuspendableRedis redis, ObjectStore store, IntSupplier callsInFlight, Runnable stopHeartbeats,
                      Runnable startHeartbeats) {
        this.redis = redis;
        this.store = store;
        this.callsInFlight = callsInFlight;
        this.stopHeartbeats = stopHeartbeats;
        this.startHeartbeats = startHeartbeats;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) throws Exception {
        int inFlight = callsInFlight.getAsInt();
        if (inFlight > 0) {
            throw new IllegalStateException(inFlight + " calls are in flight; drain the worker before a checkpoint");
        }
        stopHeartbeats.run();
        redis.suspend();
        store.closeConnections();
        LOG.log(System.Logger.Level.INFO, "connections closed for a checkpoint");
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        redis.resume();
        startHeartbeats.run();
        LOG.log(System.Logger.Level.INFO, "connections reopened after a restore");
    }
}
