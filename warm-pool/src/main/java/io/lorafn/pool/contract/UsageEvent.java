package io.lorafn.pool.contract;

/**
 * What one finished call used, emitted once per call on {@link RedisKeys#USAGE}. The aggregator counts
 * each activation id once, so a redelivered event is not billed twice.
 *
 * @param day       the UTC day the call finished, {@code YYYY-MM-DD}
 * @param computeMs the call's share of the batch steps it was in
 */
public record UsageEvent(String activationId, String tenant, String function, String day, int promptTokens,
                         int completionTokens, long computeMs, boolean coldStart) {
}
