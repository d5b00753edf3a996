package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.invoker.limits.RateLimit;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/** The operator's routes: tenants and functions. */
final class AdminRoutes {
    private final Authenticator auth;
    private final TenantRegistry tenants;
    private final FunctionRegistry functions;

    AdminRoutes(Authenticator auth, TenantRegistry tenants, FunctionRegistry functions) {
        this.auth = auth;
        this.tenants = tenants;
        this.functions = functions;
    }

    void mount(Router routes) {
        routes.post("/v1/admin/tenants").handler(BodyHandler.create().setBodyLimit(64 << 10)).handler(this::createTenant);
        routes.put("/v1/admin/tenants/:t/functions/:f").handler(BodyHandler.create().setBodyLimit(64 << 10)).handler(this::deployFunction);
    }

    /** {@code {"id", "tier", "rate": {"rps", "burst"}}} → 201 {@code {"id", "api_key"}}; the key is shown only here. */
    private void createTenant(RoutingContext ctx) {
        if (!auth.operator(ctx)) {
            return;
        }
        Tenant tenant;
        try {
            JsonObject o = new JsonObject(ctx.body().asString());
            JsonObject rate = o.getJsonObject("rate", new JsonObject().put("rps", 10).put("burst", 20));
            tenant = new Tenant(o.getString("id"), Tenant.Tier.parse(o.getString("tier", "free")),
                    new RateLimit(rate.getDouble("rps"), rate.getInteger("burst")));
        } catch (RuntimeException e) {
            fail(ctx, new ApiError(400, "BAD_REQUEST", "expected {\"id\", \"tier\": gold|silver|free, \"rate\": {\"rps\", \"burst\"}}: "
                    + e.getMessage()));
            return;
        }
        tenants.create(tenant).onSuccess(created -> ctx.response().setStatusCode(201).putHeader("content-type", "application/json")
                .end(new JsonObject().put("id", created.tenant().id()).put("api_key", created.apiKey()).encode()))
                .onFailure(e -> fail(ctx, e instanceof TenantRegistry.TenantExists ? new ApiError(409, "TENANT_EXISTS", e.getMessage())
                        : e instanceof IllegalArgumentException ? new ApiError(400, "BAD_REQUEST", e.getMessage()) : e));
    }

    /** {@code {"adapter": "name", "version": "v|latest"}} → 200 with the function. */
    private void deployFunction(RoutingContext ctx) {
        if (!auth.operator(ctx)) {
            return;
        }
        String tenant = ctx.pathParam("t");
        tenants.find(tenant).compose(found -> {
            if (found.isEmpty()) {
                return Future.failedFuture(new ApiError(404, "TENANT_NOT_FOUND", "no tenant '" + tenant + "'"));
            }
            JsonObject o;
            try {
                o = new JsonObject(ctx.body().asString());
            } catch (RuntimeException e) {
                return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "the body is not a JSON object"));
            }
            return functions.deploy(new FunctionSpec(tenant, ctx.pathParam("f"), o.getString("adapter"), o.getString("version", FunctionSpec.LATEST)))
                    .recover(e -> Future.failedFuture(e instanceof IllegalArgumentException ? new ApiError(400, "BAD_REQUEST", e.getMessage()) : e));
        }).onSuccess(spec -> ctx.json(new JsonObject().put("tenant", spec.tenant()).put("function", spec.name())
                .put("adapter", spec.adapter()).put("version", spec.version()))).onFailure(e -> fail(ctx, e));
    }
}
