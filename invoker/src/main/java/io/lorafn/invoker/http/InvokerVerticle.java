package io.lorafn.invoker.http;

import io.lorafn.invoker.activations.ReplyRouter;
import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.billing.UsageAggregator;
import io.lorafn.invoker.billing.UsageLedger;
import io.lorafn.invoker.billing.UsageReport;
import io.lorafn.invoker.billing.UsageRow;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.invoker.limits.TokenBucket;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.ResultChunk;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.ReplyChannel;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.RedisAPI;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Optional;
import java.util.UUID;

/**
 * The HTTP front door for tenants' calls: authenticate, find the function, check the body, rate-limit,
 * admit, resolve the adapter version, then write the activation record, register for the reply and
 * enqueue. It answers synchronously, as Server-Sent Events, or 202 for {@code ?async=true}. Nothing here
 * blocks an event loop: every step is a Redis future.
 */
public final class InvokerVerticle extends VerticleBase {
    private final InvokerConfig config;
    private final RedisAPI redis;
    private final VersionResolver versions;
    private final int port;
    private TenantRegistry tenants;
    private FunctionRegistry functions;
    private TokenBucket bucket;
    private CallQueues queues;
    private ReplyChannel replies;
    private ReplyRouter router;
    private HttpServer server;
    private UsageLedger ledger;
    private UsageAggregator aggregator;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile Runnable onEnqueued = () -> { };
    /** Authenticated keys, briefly: a revoked key keeps working for at most this long. */
    private final Cache<String, Tenant> keyCache = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(5)).maximumSize(100_000).build();
    private final Cache<String, FunctionSpec> functionCache = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(1))
            .maximumSize(100_000).build();

    public InvokerVerticle(InvokerConfig config, RedisAPI redis, VersionResolver versions, int port) {
        this.config = config;
        this.redis = redis;
        this.versions = versions;
        this.port = port;
    }

    @Override
    public Future<?> start() {
        tenants = new TenantRegistry(redis);
        functions = new FunctionRegistry(redis);
        bucket = new TokenBucket(redis);
        queues = new CallQueues(redis);
        replies = new ReplyChannel(redis);
        ledger = new UsageLedger(redis, config.prices());
        aggregator = new UsageAggregator(vertx, redis, ledger, config.invokerId());
        router = new ReplyRouter(vertx, redis, config.invokerId()).start();
        Router routes = Router.router(vertx);
        routes.route().handler(this::measure);
        routes.get("/healthz").handler(ctx -> ctx.json(new JsonObject().put("status", "ok")));
        routes.get("/readyz").handler(ctx -> redis.ping(java.util.List.of()).onSuccess(p -> ctx.json(new JsonObject().put("status", "ready")))
                .onFailure(e -> fail(ctx, new ApiError(503, "NOT_READY", "Redis does not answer: " + e.getMessage(), 1))));
        routes.get("/metrics").handler(ctx -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4").end(meters.scrape()));
        routes.post("/v1/functions/:fn/invocations").handler(BodyHandler.create().setBodyLimit(1 << 20)).handler(this::invoke);
        routes.get("/v1/activations/:id").handler(this::activation);
        routes.get("/v1/usage").handler(this::usage);
        routes.get("/v1/admin/billing").handler(this::billing);
        routes.post("/v1/admin/tenants").handler(BodyHandler.create().setBodyLimit(64 << 10)).handler(this::createTenant);
        routes.put("/v1/admin/tenants/:t/functions/:f").handler(BodyHandler.create().setBodyLimit(64 << 10)).handler(this::deployFunction);
        return aggregator.start().compose(v -> vertx.createHttpServer().requestHandler(routes).listen(port)).onSuccess(s -> server = s);
    }

    /** Counts and times every request by route and status ({@code lorafn_http_requests_seconds}). */
    private void measure(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            String route = ctx.currentRoute() != null && ctx.currentRoute().getPath() != null ? ctx.currentRoute().getPath() : "other";
            Timer.builder("lorafn.http.requests").tag("method", ctx.request().method().name()).tag("route", route)
                    .tag("status", Integer.toString(ctx.response().getStatusCode())).publishPercentileHistogram().register(meters)
                    .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        });
        ctx.next();
    }

    /** The registry /metrics exposes; other components of this process register their meters here. */
    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** Called after each call is enqueued; the local stack wakes its dispatcher with it. */
    public void onEnqueued(Runnable hook) {
        this.onEnqueued = hook;
    }

    /** The port the server listens on (useful when started on port 0). */
    public int actualPort() {
        return server.actualPort();
    }

    private void invoke(RoutingContext ctx) {
        String fn = ctx.pathParam("fn");
        boolean async = "true".equals(ctx.request().getParam("async"));
        authenticate(ctx).compose(tenant -> function(tenant.id(), fn).compose(spec -> {
            if (spec.isEmpty()) {
                return Future.failedFuture(new ApiError(404, "FUNCTION_NOT_FOUND", "tenant '" + tenant.id() + "' has no function '" + fn + "'"));
            }
            InvokeRequest req = InvokeRequest.parse(ctx.body().asString(), config.maxPromptChars());
            return admit(tenant).compose(v -> versions.resolve(tenant.id(), spec.get().adapter(), spec.get().version()))
                    .map(version -> call(tenant, spec.get(), version, req));
        })).onSuccess(call -> dispatch(ctx, call, async)).onFailure(e -> fail(ctx, e));
    }

    private Future<Void> admit(Tenant tenant) {
        return bucket.take(tenant.id(), tenant.rate()).compose(d -> {
            if (!d.allowed()) {
                return Future.failedFuture(new ApiError(429, "RATE_LIMITED", "tenant '" + tenant.id() + "' is over its rate of "
                        + tenant.rate().rps() + " calls/s", Math.max(1, (d.retryAfterMs() + 999) / 1000)));
            }
            return queues.depth(tenant.id());
        }).compose(depth -> depth >= config.maxQueueDepth()
                ? Future.failedFuture(new ApiError(503, "OVERLOADED", tenant.id() + " has " + depth + " calls waiting; the limit is "
                        + config.maxQueueDepth(), 1))
                : Future.succeededFuture());
    }

    private Invocation call(Tenant tenant, FunctionSpec spec, String version, InvokeRequest req) {
        long now = System.currentTimeMillis();
        return new Invocation(UUID.randomUUID().toString(), tenant.id(), spec.name(), spec.adapter(), version, req.prompt(),
                req.maxTokens(), req.temperature(), req.topP(), req.topK(), req.seed(), req.stop(), req.stream(), config.invokerId(),
                now, now + config.timeoutMs());
    }

    private void dispatch(RoutingContext ctx, Invocation call, boolean async) {
        HttpServerResponse res = ctx.response();
        if (async) {
            replies.record(ActivationRecord.queued(call)).compose(v -> queues.enqueue(call)).onSuccess(v -> onEnqueued.run())
                    .onSuccess(v -> res.setStatusCode(202).putHeader("content-type", "application/json")
                            .end(new JsonObject().put("id", call.id()).encode()))
                    .onFailure(e -> fail(ctx, e));
            return;
        }
        StringBuilder text = new StringBuilder();
        long timer = vertx.setTimer(Math.max(1, call.deadlineMs() - System.currentTimeMillis()), t -> {
            router.unregister(call.id());
            fail(ctx, new ApiError(504, "DEADLINE_EXCEEDED", "no result within " + config.timeoutMs() + " ms"));
        });
        if (call.stream()) {
            res.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        }
        router.register(call.id(), chunk -> vertx.runOnContext(v -> {
            if (res.ended()) {
                return;
            }
            if (!chunk.last()) {
                text.append(chunk.text());
                if (call.stream()) {
                    res.write("data: " + new JsonObject().put("id", call.id()).put("text", chunk.text()).encode() + "\n\n");
                }
                return;
            }
            vertx.cancelTimer(timer);
            if (chunk.error() != null) {
                fail(ctx, new ApiError(ApiError.statusOf(chunk.error().code()), chunk.error().code(), chunk.error().message()));
                return;
            }
            JsonObject answer = answer(call, text.append(chunk.text()).toString(), chunk);
            if (call.stream()) {
                res.end("event: done\ndata: " + answer.encode() + "\n\n");
            } else {
                res.putHeader("content-type", "application/json").end(answer.encode());
            }
        }));
        replies.record(ActivationRecord.queued(call)).compose(v -> queues.enqueue(call)).onSuccess(v -> onEnqueued.run()).onFailure(e -> {
            router.unregister(call.id());
            vertx.cancelTimer(timer);
            fail(ctx, e);
        });
    }

    private static JsonObject answer(Invocation call, String output, ResultChunk last) {
        JsonObject timings = new JsonObject();
        if (last.timings() != null) {
            timings.put("queue_ms", last.timings().queueMs()).put("restore_ms", last.timings().restoreMs())
                    .put("adapter_load_ms", last.timings().adapterLoadMs()).put("ttft_ms", last.timings().ttftMs())
                    .put("total_ms", last.timings().totalMs());
        }
        return new JsonObject().put("id", call.id()).put("function", call.function()).put("adapter_version", call.adapterVersion())
                .put("output", output).put("finish_reason", last.finishReason())
                .put("usage", new JsonObject().put("prompt_tokens", last.usage().promptTokens())
                        .put("completion_tokens", last.usage().completionTokens()))
                .put("timings", timings).put("cold_start", last.coldStart());
    }

    private void activation(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        authenticate(ctx).compose(tenant -> replies.activation(id).compose(record -> {
            if (record == null) {
                return Future.failedFuture(new ApiError(404, "ACTIVATION_NOT_FOUND", "no activation '" + id + "'"));
            }
            if (!record.tenant().equals(tenant.id())) {
                return Future.failedFuture(new ApiError(403, "FORBIDDEN", "activation '" + id + "' belongs to another tenant"));
            }
            return Future.succeededFuture(record);
        })).onSuccess(record -> ctx.response().putHeader("content-type", "application/json")
                .end(io.lorafn.pool.contract.ContractJson.write(record))).onFailure(e -> fail(ctx, e));
    }

    /** The caller's own usage; {@code GET /v1/admin/billing} answers the same for every tenant. */
    private void usage(RoutingContext ctx) {
        authenticate(ctx).compose(tenant -> report(ctx, Optional.of(tenant.id()))).onFailure(e -> fail(ctx, e));
    }

    private void billing(RoutingContext ctx) {
        if (operator(ctx)) {
            report(ctx, Optional.empty()).onFailure(e -> fail(ctx, e));
        }
    }

    /** {@code {"id", "tier", "rate": {"rps", "burst"}}} → 201 {@code {"id", "api_key"}}; the key is shown only here. */
    private void createTenant(RoutingContext ctx) {
        if (!operator(ctx)) {
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
        if (!operator(ctx)) {
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

    /** True for the operator key; otherwise answers 401 and returns false. */
    private boolean operator(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        String key = header != null && header.startsWith("Bearer ") ? header.substring(7).trim() : null;
        if (!TenantRegistry.isOperator(key, config.operatorKey())) {
            fail(ctx, new ApiError(401, "UNAUTHORIZED", "this needs the operator key"));
            return false;
        }
        return true;
    }

    private Future<Void> report(RoutingContext ctx, Optional<String> tenant) {
        LocalDate from, to;
        try {
            from = LocalDate.parse(ctx.request().getParam("from"));
            to = LocalDate.parse(ctx.request().getParam("to"));
        } catch (RuntimeException e) {
            return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "'from' and 'to' must be dates, YYYY-MM-DD"));
        }
        if (to.isBefore(from) || from.plusDays(366).isBefore(to)) {
            return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "the range must be 1 to 366 days, 'from' first"));
        }
        String format = ctx.request().getParam("format", "json");
        if (!format.equals("json") && !format.equals("csv")) {
            return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "format must be json or csv"));
        }
        return ledger.report(from, to, tenant).compose(r -> {
            HttpServerResponse res = ctx.response();
            if (format.equals("csv")) {
                return res.putHeader("content-type", "text/csv").end(r.toCsv());
            }
            return res.putHeader("content-type", "application/json").end(reportJson(r).encode());
        });
    }

    private static JsonObject reportJson(UsageReport r) {
        io.vertx.core.json.JsonArray rows = new io.vertx.core.json.JsonArray();
        r.rows().forEach(row -> rows.add(rowJson(row)));
        return new JsonObject().put("rows", rows).put("total", rowJson(r.total()));
    }

    private static JsonObject rowJson(UsageRow row) {
        JsonObject o = new JsonObject();
        if (row.tenant() != null) {
            o.put("tenant", row.tenant()).put("function", row.function()).put("day", row.day());
        }
        return o.put("requests", row.requests()).put("prompt_tokens", row.promptTokens()).put("completion_tokens", row.completionTokens())
                .put("compute_ms", row.computeMs()).put("cold_starts", row.coldStarts()).put("cost", row.cost().toPlainString());
    }

    private Future<Tenant> authenticate(RoutingContext ctx) {
        String header = ctx.request().getHeader("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            return Future.failedFuture(new ApiError(401, "UNAUTHORIZED", "send 'Authorization: Bearer <tenant key>'"));
        }
        String key = header.substring("Bearer ".length()).trim();
        Tenant known = keyCache.getIfPresent(key);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return tenants.authenticate(key).compose(t -> {
            if (t.isEmpty()) {
                return Future.failedFuture(new ApiError(401, "UNAUTHORIZED", "the key is not valid"));
            }
            keyCache.put(key, t.get());
            return Future.succeededFuture(t.get());
        });
    }

    /** The tenant's function, cached for a second: a redeploy takes effect within that. */
    private Future<Optional<FunctionSpec>> function(String tenant, String fn) {
        FunctionSpec known = functionCache.getIfPresent(tenant + "/" + fn);
        if (known != null) {
            return Future.succeededFuture(Optional.of(known));
        }
        return functions.find(tenant, fn).onSuccess(spec -> spec.ifPresent(s -> functionCache.put(tenant + "/" + fn, s)));
    }

    private static void fail(RoutingContext ctx, Throwable e) {
        HttpServerResponse res = ctx.response();
        if (res.ended()) {
            return;
        }
        ApiError err = e instanceof ApiError a ? a : new ApiError(500, "INTERNAL", e.toString());
        if (err.retryAfterSeconds() > 0) {
            res.putHeader("Retry-After", Long.toString(err.retryAfterSeconds()));
        }
        if (res.headWritten()) { // a stream already under way: end it with an error event
            res.end("event: error\ndata: " + new JsonObject().put("code", err.code()).put("message", err.getMessage()).encode() + "\n\n");
            return;
        }
        res.setStatusCode(err.status()).putHeader("content-type", "application/json")
                .end(new JsonObject().put("error", new JsonObject().put("code", err.code()).put("message", err.getMessage())).encode());
    }

    @Override
    public Future<?> stop() {
        router.close();
        aggregator.close();
        return server == null ? Future.succeededFuture() : server.close();
    }
}
