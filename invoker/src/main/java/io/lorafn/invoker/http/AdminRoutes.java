package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.AdapterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Files;
import java.nio.file.Path;

/** The operator's routes: tenants, functions, adapter versions and their erasure. */
final class AdminRoutes {
    private final Authenticator auth;
    private final TenantRegistry tenants;
    private final FunctionRegistry functions;
    private final AdapterRegistry adapters; // null: this invoker has no object store
    private final Vertx vertx;

    AdminRoutes(Vertx vertx, Authenticator auth, TenantRegistry tenants, FunctionRegistry functions, AdapterRegistry adapters) {
        this.vertx = vertx;
        this.auth = auth;
        this.tenants = tenants;
        this.functions = functions;
        this.adapters = adapters;
    }

    void mount(Router routes) {
        routes.post("/v1/admin/tenants").handler(BodyHandler.create().setBodyLimit(64 << 10)).handler(this::createTenant);
        routes.put("/v1/admin/tenants/:t/functions/:f").handler(BodyHandler.create().setBodyLimit(64 << 10)).handler(this::deployFunction);
        routes.put("/v1/admin/tenants/:t/adapters/:name/versions/:v").handler(BodyHandler.create()
                .setUploadsDirectory(System.getProperty("java.io.tmpdir") + "/lorafn-uploads").setDeleteUploadedFilesOnEnd(true)
                .setBodyLimit(2L << 30)).handler(this::uploadAdapter);
        routes.delete("/v1/admin/tenants/:t/adapters/:name").handler(this::eraseAdapter);
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
            FunctionSpec spec;
            try {
                spec = new FunctionSpec(tenant, ctx.pathParam("f"), o.getString("adapter"), o.getString("version", FunctionSpec.LATEST),
                        o.getLong("timeout_ms", 0L));
            } catch (ClassCastException | IllegalArgumentException e) {
                return Future.failedFuture(new ApiError(400, "BAD_REQUEST", e instanceof ClassCastException
                        ? "'adapter' and 'version' must be strings and 'timeout_ms' a number" : e.getMessage()));
            }
            return functions.deploy(spec)
                    .recover(e -> Future.failedFuture(e instanceof IllegalArgumentException ? new ApiError(400, "BAD_REQUEST", e.getMessage()) : e));
        }).onSuccess(spec -> ctx.json(new JsonObject().put("tenant", spec.tenant()).put("function", spec.name())
                .put("adapter", spec.adapter()).put("version", spec.version()).put("timeout_ms", spec.timeoutMs())))
                .onFailure(e -> fail(ctx, e));
    }

    /**
     * Multipart with parts {@code adapter_config.json} and {@code adapter_model.safetensors}: validated
     * against the served base, then stored as a new version → 201 with the manifest; an invalid adapter
     * is a 422 naming the rule, and nothing is stored.
     */
    private void uploadAdapter(RoutingContext ctx) {
        if (!auth.operator(ctx) || !registryPresent(ctx)) {
            return;
        }
        FileUpload config = null, weights = null;
        for (FileUpload f : ctx.fileUploads()) {
            if (f.name().equals(LoraAdapter.CONFIG_FILE)) {
                config = f;
            } else if (f.name().equals(LoraAdapter.WEIGHTS_FILE)) {
                weights = f;
            }
        }
        if (config == null || weights == null) {
            fail(ctx, new ApiError(400, "BAD_REQUEST", "send multipart/form-data with parts '" + LoraAdapter.CONFIG_FILE + "' and '"
                    + LoraAdapter.WEIGHTS_FILE + "'"));
            return;
        }
        String configPath = config.uploadedFileName(), weightsPath = weights.uploadedFileName();
        vertx.executeBlocking(() -> { // validation reads every value, and the object store client blocks
            AdapterRef ref = new AdapterRef(ctx.pathParam("t"), ctx.pathParam("name"), ctx.pathParam("v"));
            return adapters.push(ref, Files.readAllBytes(Path.of(configPath)), Files.readAllBytes(Path.of(weightsPath)), null);
        }).onSuccess(manifest -> ctx.response().setStatusCode(201).putHeader("content-type", "application/json")
                .end(new String(manifest.toJson(), java.nio.charset.StandardCharsets.UTF_8)))
                .onFailure(e -> fail(ctx, e));
    }

    /** Erases every version of the adapter from the object store and, through the registry's hooks, from every tier. */
    private void eraseAdapter(RoutingContext ctx) {
        if (!auth.operator(ctx) || !registryPresent(ctx)) {
            return;
        }
        vertx.executeBlocking(() -> adapters.delete(new AdapterName(ctx.pathParam("t"), ctx.pathParam("name"))))
                .onSuccess(n -> ctx.json(new JsonObject().put("deleted_objects", n)))
                .onFailure(e -> fail(ctx, e));
    }

    private boolean registryPresent(RoutingContext ctx) {
        if (adapters == null) {
            fail(ctx, new ApiError(503, "NO_OBJECT_STORE", "this invoker has no adapter registry configured"));
            return false;
        }
        return true;
    }
}
