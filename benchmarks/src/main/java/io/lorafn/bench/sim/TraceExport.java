package io.lorafn.bench.sim;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Reads the finished activation records a running stack keeps in Redis ({@code lf:act:*}, kept for a day). */
public final class TraceExport {
    private TraceExport() {
    }

    /** Every finished record accepted at or after {@code sinceMs}, in arrival order. */
    public static List<ActivationRecord> finishedSince(RedisAPI redis, long sinceMs) throws Exception {
        List<ActivationRecord> out = new ArrayList<>();
        String cursor = "0";
        do {
            Response page = await(redis.scan(List.of(cursor, "MATCH", RedisKeys.activation("*"), "COUNT", "1000")));
            cursor = page.get(0).toString();
            List<String> keys = new ArrayList<>();
            for (Response k : page.get(1)) {
                keys.add(k.toString());
            }
            if (keys.isEmpty()) {
                continue;
            }
            for (Response json : await(redis.mget(keys))) {
                if (json == null) {
                    continue; // expired between the scan and the read
                }
                ActivationRecord r = ContractJson.read(json.toString(), ActivationRecord.class);
                if ((r.status() == ActivationStatus.SUCCEEDED || r.status() == ActivationStatus.FAILED) && r.acceptedAtMs() >= sinceMs) {
                    out.add(r);
                }
            }
        } while (!cursor.equals("0"));
        out.sort(java.util.Comparator.comparingLong(ActivationRecord::acceptedAtMs));
        return out;
    }

    private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
