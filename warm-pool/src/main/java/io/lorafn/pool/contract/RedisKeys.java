package io.lorafn.pool.contract;

/** Every Redis key the processes share (DESIGN.md, "Redis keys"), in one place. */
public final class RedisKeys {
    /** One usage event per finished call; the aggregator folds them into daily counters. */
    public static final String USAGE = "lf:usage";
    /** Hash of worker id to its latest {@link WorkerInfo}, as JSON. */
    public static final String WORKERS = "lf:workers";
    /** Sorted set of worker id by the Redis server time of its last heartbeat. */
    public static final String WORKERS_SEEN = "lf:workers:seen";
    /** Counter of admitted calls, which the autoscaler reads each tick: calls that came and went between ticks are demand too. */
    public static final String ADMITTED = "lf:admitted";
    /** Pub/sub channel: the id of a worker whose state just changed (the heartbeat script publishes it). */
    public static final String WORKERS_CHANGED = "lf:workers:changed";
    /** Hash of worker id to its placement data (slots, hot and warm adapters), for the workers that take calls: kept by the pool manager for admission. */
    public static final String PLACEABLE = "lf:placeable";
    /** Stream of {@link AdapterErasure}s that every worker follows. */
    public static final String ERASURES = "lf:erasures";

    private RedisKeys() {
    }

    public static String tenant(String tenant) {
        return "lf:tenant:" + tenant;
    }

    public static String function(String tenant, String function) {
        return "lf:fn:" + tenant + ":" + function;
    }

    /** The tenant's token bucket (rate limit), shared by every invoker. */
    public static String rateLimit(String tenant) {
        return "lf:rl:" + tenant;
    }

    /** The tenant's queue of accepted calls, a stream. */
    public static String queue(String tenant) {
        return "lf:q:" + tenant;
    }

    /** What the dispatcher assigned to one worker, a stream read in a consumer group. */
    public static String workerStream(String workerId) {
        return "lf:w:" + workerId;
    }

    /** Result chunks for the calls one invoker accepted, routed by activation id. */
    public static String reply(String invokerId) {
        return "lf:reply:" + invokerId;
    }

    /** The activation record, kept with a TTL. */
    public static String activation(String activationId) {
        return "lf:act:" + activationId;
    }
}
