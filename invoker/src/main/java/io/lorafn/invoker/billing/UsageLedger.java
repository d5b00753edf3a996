package io.lorafn.invoker.billing;

import io.lorafn.pool.redis.RedisScript;
import io.lorafn.pool.contract.UsageEvent;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Per-tenant daily usage counters in Redis, and the reports built from them. Each activation is counted
 * exactly once ({@code record_usage.lua} keeps a marker per activation id for a week, longer than any
 * redelivery), so the report equals the sum of what the clients were told they used.
 */
public final class UsageLedger {
    /** How long a counted activation id is remembered; redeliveries come within minutes. */
    private static final long MARKER_TTL_SECONDS = 7 * 24 * 3600;
    private static final RedisScript SCRIPT = RedisScript.resource(UsageLedger.class, "record_usage.lua");

    private final RedisAPI redis;
    private final PriceSheet prices;

    public UsageLedger(RedisAPI redis, PriceSheet prices) {
        this.redis = redis;
        this.prices = prices;
    }

    /** Folds one event in; completes with false when this activation was already counted. */
    public Future<Boolean> record(UsageEvent e) {
        List<String> keys = List.of("lf:billed:" + e.activationId(), countersKey(e.day(), e.tenant(), e.function()),
                dayIndexKey(e.day()));
        List<String> args = List.of(Long.toString(MARKER_TTL_SECONDS), e.tenant() + ":" + e.function(),
                Integer.toString(e.promptTokens()), Integer.toString(e.completionTokens()), Long.toString(e.computeMs()),
                e.coldStart() ? "1" : "0");
        return SCRIPT.run(redis, keys, args).map(r -> r.toInteger() == 1);
    }

    /** Rows by tenant, function and day for {@code [from, to]}, optionally one tenant's only. */
    public Future<UsageReport> report(LocalDate from, LocalDate to, Optional<String> tenant) {
        if (to.isBefore(from)) {
            return Future.failedFuture(new IllegalArgumentException("'to' " + to + " is before 'from' " + from));
        }
        List<Future<List<UsageRow>>> days = new ArrayList<>();
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
            days.add(day(d.toString(), tenant));
        }
        return Future.all(days).map(all -> {
            List<UsageRow> rows = new ArrayList<>();
            days.forEach(f -> rows.addAll(f.result()));
            rows.sort(Comparator.comparing(UsageRow::day).thenComparing(UsageRow::tenant).thenComparing(UsageRow::function));
            return UsageReport.of(rows);
        });
    }

    private Future<List<UsageRow>> day(String day, Optional<String> tenant) {
        return redis.smembers(dayIndexKey(day)).compose(members -> {
            List<Future<UsageRow>> rows = new ArrayList<>();
            for (Response m : members) {
                String member = m.toString();
                int colon = member.indexOf(':');
                String t = member.substring(0, colon), f = member.substring(colon + 1);
                if (tenant.isEmpty() || tenant.get().equals(t)) {
                    rows.add(redis.hgetall(countersKey(day, t, f)).map(h -> row(t, f, day, h)));
                }
            }
            return Future.all(rows).map(all -> rows.stream().map(Future::result).toList());
        });
    }

    private UsageRow row(String tenant, String function, String day, Response h) {
        long prompt = field(h, "prompt_tokens"), completion = field(h, "completion_tokens"), compute = field(h, "compute_ms");
        return new UsageRow(tenant, function, day, field(h, "requests"), prompt, completion, compute, field(h, "cold_starts"),
                prices.cost(prompt, completion, compute));
    }

    private static long field(Response hash, String name) {
        Response v = hash.get(name);
        return v == null ? 0 : v.toLong();
    }

    private static String countersKey(String day, String tenant, String function) {
        return "lf:usage:" + day + ":" + tenant + ":" + function;
    }

    private static String dayIndexKey(String day) {
        return "lf:usage:" + day;
    }
}
