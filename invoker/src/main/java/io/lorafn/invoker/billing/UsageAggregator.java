package io.lorafn.invoker.billing;

import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.contract.UsageEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds the usage events on {@code lf:usage} into the {@link UsageLedger}, in a consumer group so that
 * several invokers share the work; an event is acked only after it is counted, and the ledger counts an
 * activation once however often its event arrives. Events a dead consumer left pending are taken over.
 */
public final class UsageAggregator implements AutoCloseable {
    static final String GROUP = "billing";
    private static final System.Logger LOG = System.getLogger(UsageAggregator.class.getName());

    private final Vertx vertx;
    private final RedisAPI redis;
    private final UsageLedger ledger;
    private final String consumer;
    private volatile boolean open = true;

    public UsageAggregator(Vertx vertx, RedisAPI redis, UsageLedger ledger, String consumer) {
        this.vertx = vertx;
        this.redis = redis;
        this.ledger = ledger;
        this.consumer = consumer;
    }

    public Future<Void> start() {
        return redis.xgroup(List.of("CREATE", RedisKeys.USAGE, GROUP, "0", "MKSTREAM")).<Void>mapEmpty()
                .recover(e -> e.getMessage() != null && e.getMessage().startsWith("BUSYGROUP") ? Future.succeededFuture() : Future.failedFuture(e))
                .compose(v -> redis.xautoclaim(List.of(RedisKeys.USAGE, GROUP, consumer, "30000", "0-0", "COUNT", "1000")))
                .compose(claimed -> fold(claimed.get(1)))
                .onSuccess(v -> readNext());
    }

    private void readNext() {
        if (!open) {
            return;
        }
        redis.xreadgroup(List.of("GROUP", GROUP, consumer, "COUNT", "256", "BLOCK", "1000", "STREAMS", RedisKeys.USAGE, ">"))
                .compose(r -> r == null || r.size() == 0 ? Future.succeededFuture() : fold(r.get(0).get(1)))
                .onComplete(ar -> {
                    if (ar.failed() && open) {
                        LOG.log(System.Logger.Level.WARNING, "usage aggregation: " + ar.cause() + "; retrying");
                        vertx.setTimer(500, t -> readNext());
                    } else {
                        readNext();
                    }
                });
    }

    private Future<Void> fold(Response entries) {
        List<Future<Void>> done = new ArrayList<>();
        for (Response entry : entries) {
            String id = entry.get(0).toString();
            Response fields = entry.get(1);
            if (fields == null) {
                continue;
            }
            UsageEvent event = ContractJson.read(fields.get(1).toString(), UsageEvent.class);
            done.add(ledger.record(event).compose(counted -> redis.xack(List.of(RedisKeys.USAGE, GROUP, id))).mapEmpty());
        }
        return Future.all(done).mapEmpty();
    }

    @Override
    public void close() {
        open = false;
    }
}
