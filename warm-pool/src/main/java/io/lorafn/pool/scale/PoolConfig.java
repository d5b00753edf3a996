package io.lorafn.pool.scale;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The operator's knobs for the warm pool, as in Knative's KPA and OpenWhisk's prewarm.
 *
 * @param minWarm           workers kept warm with no traffic at all; 0 scales to zero
 * @param maxWorkers        the most workers the pool runs
 * @param prewarm           warm workers kept beyond what the traffic needs while there is traffic
 * @param idleTimeoutS      how long the need must stay lower before workers are stopped (the grace
 *                          period before scaling down, to zero included)
 * @param targetConcurrency calls in flight or waiting that one worker is meant to carry
 */
public record PoolConfig(int minWarm, int maxWorkers, int prewarm, double idleTimeoutS, double targetConcurrency) implements Serializable {
    public static final PoolConfig DEFAULT = new PoolConfig(1, 4, 0, 60, 8);
    /** The names the HTTP API and the CLI use. */
    public static final Set<String> KNOBS = Set.of("min_warm", "max_workers", "prewarm", "idle_timeout_s", "target_concurrency");

    public PoolConfig {
        if (minWarm < 0 || prewarm < 0 || maxWorkers < 1) {
            throw new IllegalArgumentException("min_warm and prewarm must be >= 0 and max_workers >= 1, got min_warm=" + minWarm
                    + " prewarm=" + prewarm + " max_workers=" + maxWorkers);
        }
        if (minWarm > maxWorkers) {
            throw new IllegalArgumentException("min_warm (" + minWarm + ") must not exceed max_workers (" + maxWorkers + ")");
        }
        if (!(idleTimeoutS >= 0) || !(targetConcurrency > 0)) {
            throw new IllegalArgumentException("idle_timeout_s must be >= 0 and target_concurrency > 0, got " + idleTimeoutS
                    + " and " + targetConcurrency);
        }
    }

    /** This config with some knobs changed; every name and value is checked, and nothing changes on an error. */
    public PoolConfig with(Map<String, ?> changes) {
        for (String k : changes.keySet()) {
            if (!KNOBS.contains(k)) {
                throw new IllegalArgumentException("unknown pool setting '" + k + "'; the settings are " + String.join(", ", KNOBS.stream().sorted().toList()));
            }
        }
        return new PoolConfig(integer(changes, "min_warm", minWarm), integer(changes, "max_workers", maxWorkers),
                integer(changes, "prewarm", prewarm), number(changes, "idle_timeout_s", idleTimeoutS),
                number(changes, "target_concurrency", targetConcurrency));
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("min_warm", minWarm);
        m.put("max_workers", maxWorkers);
        m.put("prewarm", prewarm);
        m.put("idle_timeout_s", idleTimeoutS);
        m.put("target_concurrency", targetConcurrency);
        return m;
    }

    private static int integer(Map<String, ?> m, String key, int current) {
        Object v = m.get(key);
        if (v == null) {
            return current;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 1e9) {
            return n.intValue();
        }
        if (v instanceof String s && s.matches("-?\\d{1,9}")) {
            return Integer.parseInt(s);
        }
        throw new IllegalArgumentException(key + " must be a whole number, got '" + v + "'");
    }

    private static double number(Map<String, ?> m, String key, double current) {
        Object v = m.get(key);
        if (v == null) {
            return current;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(v.toString());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, got '" + v + "'");
        }
    }
}
