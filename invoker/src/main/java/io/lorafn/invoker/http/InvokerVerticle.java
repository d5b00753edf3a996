package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import io.lorafn.invoker.activations.ReplyRouter;
import io.lorafn.invoker.auth.TenantRegistry;
import io.lorafn.invoker.billing.UsageAggregator;
import io.lorafn.invoker.billing.UsageLedger;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.pool.scale.PoolControl;
import io.lorafn.storage.registry.AdapterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.RedisAPI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The invoker: one HTTP server with the tenants' calls ({@link InvocationRoutes}, {@link OpenAiRoutes}), usage and billing
 * ({@link BillingRoutes}), the operator's routes ({@link AdminRoutes}), health and Prometheus metrics,
 * plus this invoker's reply router and usage aggregator.
 */
public final class InvokerVerticle extends VerticleBase {
    private final InvokerConfig config;
    private final RedisAPI redis;
    private final VersionResolver versions;
    private final int port;
    private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile Runnable onEnqueued = () -> { };
    private ReplyRouter router;
    private UsageAggregator aggregator;
    private HttpServer server;

    private final AdapterRegistry adapters;
    private volatile PoolControl pool;

    /** @param adapters the adapter registry for the operator's upload and erasure routes; null without an object store */
    public InvokerVerticle(InvokerConfig config, RedisAPI redis, VersionResolver versions, AdapterRegistry adapters, int port) {
        this.adapters = adapters;
        this.config = config;
        this.redis = redis;
        this.versions = versions;
        this.port = port;
    }

    @Override
    public Future<?> start() {
        TenantRegistry tenants = new TenantRegistry(redis);
        Authenticator auth = new Authenticator(tenants, config.operatorKey());
        UsageLedger ledger = new UsageLedger(redis, config.prices());
        aggregator = new UsageAggregator(vertx, redis, ledger, config.invokerId());
        router = new ReplyRouter(vertx, redis, config.invokerId()).start();
        InvocationRoutes invocations = new InvocationRoutes(vertx, redis, config, versions, auth, router);
        invocations.onEnqueued(() -> onEnqueued.run());
        Router routes = Router.router(vertx);
        routes.route().handler(this::measure);
        routes.get("/healthz").handler(ctx -> ctx.json(new JsonObject().put("status", "ok")));
        routes.get("/readyz").handler(ctx -> redis.ping(List.of()).onSuccess(p -> ctx.json(new JsonObject().put("status", "ready")))
                .onFailure(e -> fail(ctx, new ApiError(503, "NOT_READY", "Redis does not answer: " + e.getMessage(), 1))));
        routes.get("/metrics").handler(ctx -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4").end(meters.scrape()));
        invocations.mount(routes);
        new OpenAiRoutes(auth, invocations, new FunctionRegistry(redis), config).mount(routes);
        new BillingRoutes(auth, ledger).mount(routes);
        new AdminRoutes(vertx, auth, tenants, new FunctionRegistry(redis), adapters).mount(routes);
        new PoolRoutes(vertx, auth, pool).mount(routes);
        return aggregator.start().compose(v -> vertx.createHttpServer().requestHandler(routes).listen(port)).onSuccess(s -> server = s);
    }

    /** Counts and times every request by route and status ({@code lorafn_http_requests_seconds}). */
    private void measure(RoutingContext ctx) {
        long start = System.nanoTime();
        ctx.addEndHandler(v -> {
            String route = ctx.currentRoute() != null && ctx.currentRoute().getPath() != null ? ctx.currentRoute().getPath() : "other";
            Timer.builder("lorafn.http.requests").tag("method", ctx.request().method().name()).tag("route", route)
                    .tag("status", Integer.toString(ctx.response().getStatusCode())).publishPercentileHistogram().register(meters)
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
        ctx.next();
    }

    /** The registry /metrics exposes; other components of this process register their meters here. */
    public PrometheusMeterRegistry meters() {
        return meters;
    }

    /** The pool the operator's pool routes read and tune; set before deployment (none: they answer 503). */
    public InvokerVerticle pool(PoolControl pool) {
        this.pool = pool;
        return this;
    }

    /** Called after each call is enqueued; the local stack wakes its dispatcher with it. */
    public void onEnqueued(Runnable hook) {
        this.onEnqueued = hook;
    }

    /** The port the server listens on (useful when started on port 0). */
    public int actualPort() {
        return server.actualPort();
    }

    @Override
    public Future<?> stop() {
        router.close();
        aggregator.close();
        return server == null ? Future.succeededFuture() : server.close();
    }
}
