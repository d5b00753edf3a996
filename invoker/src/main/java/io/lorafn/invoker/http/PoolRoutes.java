package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import io.lorafn.pool.contract.WorkerInfo;
import io.lorafn.pool.scale.PoolControl;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * The operator's view of the warm pool: {@code GET /v1/admin/pool} (its knobs and workers) and
 * {@code PUT /v1/admin/pool/config} (any subset of the knobs, applied at the autoscaler's next tick).
 */
final class PoolRoutes {
    private final Vertx vertx;
    private final Authenticator auth;
    private final PoolControl pool; // null: this invoker runs without a pool member

    PoolRoutes(Vertx vertx, Authenticator auth, PoolControl pool) {
        this.vertx = vertx;
        this.auth = auth;
        this.pool = pool;
    }

    void mount(Router routes) {
        routes.get("/v1/admin/pool").handler(this::read);
        routes.put("/v1/admin/pool/config").handler(BodyHandler.create().setBodyLimit(16 << 10)).handler(this::update);
    }

    private void read(RoutingContext ctx) {
        if (!auth.operator(ctx) || !present(ctx)) {
            return;
        }
        vertx.executeBlocking(() -> { // the cluster's maps: blocking calls
            JsonArray workers = new JsonArray();
            for (WorkerInfo w : pool.workers()) {
                workers.add(new JsonObject().put("id", w.id()).put("node", w.node()).put("state", w.state().name())
                        .put("free_slots", w.freeSlots()).put("slots", w.slots()).put("hot_adapters", new JsonArray(w.hotAdapters()))
                        .put("warm_adapters", new JsonArray(w.warmAdapters())).put("restore_ms", w.restoreMs()).put("pid", w.pid()));
            }
            return new JsonObject().put("config", new JsonObject(pool.config().toMap())).put("workers", workers);
        }, false).onSuccess(ctx::json).onFailure(e -> fail(ctx, e));
    }

    private void update(RoutingContext ctx) {
        if (!auth.operator(ctx) || !present(ctx)) {
            return;
        }
        JsonObject changes;
        try {
            changes = new JsonObject(ctx.body().asString());
        } catch (RuntimeException e) {
            fail(ctx, new ApiError(400, "BAD_REQUEST", "the body must be a JSON object of pool settings, such as {\"min_warm\": 0}"));
            return;
        }
        vertx.executeBlocking(() -> pool.update(changes.getMap()), false)
                .onSuccess(config -> ctx.json(new JsonObject().put("config", new JsonObject(config.toMap()))))
                .onFailure(e -> fail(ctx, e instanceof IllegalArgumentException ? new ApiError(400, "BAD_POOL_CONFIG", e.getMessage()) : e));
    }

    private boolean present(RoutingContext ctx) {
        if (pool == null) {
            fail(ctx, new ApiError(503, "NO_POOL", "this invoker is not part of a pool cluster", 5));
            return false;
        }
        return true;
    }
}
