package io.lorafn.pool.queue;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.ResultChunk;
import io.lorafn.pool.contract.UsageEvent;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;

/**
 * What a worker writes about a call: result chunks on the accepting invoker's reply stream, the
 * activation record, and the usage event. The final chunk goes out only after the activation record is
 * written, so a client that sees the end of a call can always read its record.
 */
public final class ReplyChannel {
    /** How long an activation record is kept. */
    public static final long ACTIVATION_TTL_SECONDS = 7 * 24 * 3600;
    /** Reply streams are trimmed to about this many chunks; an invoker reads them within milliseconds. */
    private static final String REPLY_MAXLEN = "100000";

    private static final io.lorafn.pool.redis.RedisScript FINISH = io.lorafn.pool.redis.RedisScript.resource(ReplyChannel.class, "finish.lua");

    private final RedisAPI redis;

    public ReplyChannel(RedisAPI redis) {
        this.redis = redis;
    }

    public Future<Void> publish(String invokerId, ResultChunk chunk) {
        return redis.xadd(List.of(RedisKeys.reply(invokerId), "MAXLEN", "~", REPLY_MAXLEN, "*", "chunk", ContractJson.write(chunk)))
                .mapEmpty();
    }

    /**
     * The end of a call in one round trip: its record, then its final chunk to {@code invokerId}, then its
     * usage event ({@code usage} null for a call that is not billed).
     */
    public Future<Void> finish(ActivationRecord activation, String invokerId, ResultChunk last, UsageEvent usage) {
        return FINISH.run(redis, List.of(RedisKeys.activation(activation.id()), RedisKeys.reply(invokerId), RedisKeys.USAGE),
                List.of(ContractJson.write(activation), Long.toString(ACTIVATION_TTL_SECONDS), REPLY_MAXLEN, ContractJson.write(last),
                        usage == null ? "" : ContractJson.write(usage))).mapEmpty();
    }

    public Future<ActivationRecord> activation(String id) {
        return redis.get(RedisKeys.activation(id)).map(r -> r == null ? null : ContractJson.read(r.toString(), ActivationRecord.class));
    }
}
