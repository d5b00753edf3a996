package io.lorafn.invoker.functions;

import io.lorafn.pool.contract.RedisKeys;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Functions in Redis ({@code lf:fn:{tenant}:{function}}): which adapter and version each one runs. */
public final class FunctionRegistry {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final RedisAPI redis;

    public FunctionRegistry(RedisAPI redis) {
        this.redis = redis;
    }

    /** Creates or replaces a function. */
    public Future<FunctionSpec> deploy(FunctionSpec spec) {
        for (String[] field : new String[][] {{"function", spec.name()}, {"adapter", spec.adapter()}, {"version", spec.version()}}) {
            if (field[1] == null || !NAME.matcher(field[1]).matches()) {
                return Future.failedFuture(new IllegalArgumentException(field[0] + " '" + field[1]
                        + "' must be 1-64 letters, digits, '.', '_' or '-'"));
            }
        }
        return redis.hset(List.of(RedisKeys.function(spec.tenant(), spec.name()), "adapter", spec.adapter(), "version", spec.version(),
                        "timeout_ms", Long.toString(spec.timeoutMs())))
                .compose(v -> redis.sadd(List.of(owners(spec.name()), spec.tenant())))
                .map(v -> spec);
    }

    /** The tenant's function; empty when it has none of that name (another tenant's function is not looked at). */
    public Future<Optional<FunctionSpec>> find(String tenant, String function) {
        if (!NAME.matcher(function).matches()) {
            return Future.succeededFuture(Optional.empty());
        }
        return redis.hgetall(RedisKeys.function(tenant, function)).map(h -> h == null || h.size() == 0 ? Optional.empty()
                : Optional.of(new FunctionSpec(tenant, function, h.get("adapter").toString(), h.get("version").toString(),
                        h.get("timeout_ms") == null ? 0 : h.get("timeout_ms").toLong())));
    }

    /** The tenant's function names, sorted (a SCAN over the tenant's own keys only). */
    public Future<List<String>> list(String tenant) {
        return scan(tenant, "0", new java.util.TreeSet<>()).map(List::copyOf);
    }

    private Future<java.util.TreeSet<String>> scan(String tenant, String cursor, java.util.TreeSet<String> names) {
        String prefix = RedisKeys.function(tenant, "");
        return redis.scan(List.of(cursor, "MATCH", prefix + "*", "COUNT", "1000")).compose(r -> {
            for (io.vertx.redis.client.Response key : r.get(1)) {
                names.add(key.toString().substring(prefix.length()));
            }
            String next = r.get(0).toString();
            return next.equals("0") ? Future.succeededFuture(names) : scan(tenant, next, names);
        });
    }

    public Future<Boolean> remove(String tenant, String function) {
        return redis.del(List.of(RedisKeys.function(tenant, function))).compose(r -> redis.srem(List.of(owners(function), tenant))
                .map(x -> r.toInteger() == 1));
    }

    /** Whether some other tenant has a function of this name (a call to it is then 403, not 404). */
    public Future<Boolean> ownedByAnother(String tenant, String function) {
        return redis.smembers(owners(function)).map(r -> {
            for (io.vertx.redis.client.Response t : r) {
                if (!t.toString().equals(tenant)) {
                    return true;
                }
            }
            return false;
        });
    }

    private static String owners(String function) {
        return "lf:fnowners:" + function;
    }
}
