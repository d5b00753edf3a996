package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lorafn.invoker.activations.ReplyRouter;
import io.lorafn.invoker.auth.Tenant;
import io.lorafn.invoker.functions.FunctionRegistry;
import io.lorafn.invoker.functions.FunctionSpec;
import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.pool.contract.ContractJson;
import io.lorafn.pool.queue.Admission;
import io.lorafn.pool.queue.CallQueues;
import io.lorafn.pool.queue.ReplyChannel;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.RedisAPI;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Tenants' calls: authenticate, find the function, check the body and the prompt's length, resolve the
 * adapter version, register for the reply, then admit and enqueue in one Redis script (rate limit, queue
 * depth, activation record and enqueue: one round trip on the call's path). It answers
 * synchronously, as Server-Sent Events, or 202 for {@code ?async=true}; the owner reads an activation
 * back. Nothing here blocks an event loop: every step is a Redis future.
 */
final class InvocationRoutes {
    private final Vertx vertx;
    private final InvokerConfig config;
    private final VersionResolver versions;
    private final Authenticator auth;
    private final FunctionRegistry functions;
    private final CallQueues queues;
    private final ReplyChannel replies;
    private final ReplyRouter router;
    private volatile Runnable onEnqueued = () -> { };
    private final Cache<String, FunctionSpec> functionCache = Caffeine.newBuilder().expireAfterWrite(Duration.ofSeconds(1))
            .maximumSize(100_000).build();

    InvocationRoutes(Vertx vertx, RedisAPI redis, InvokerConfig config, VersionResolver versions, Authenticator auth, ReplyRouter router) {
        this.vertx = vertx;
        this.config = config;
        this.versions = versions;
        this.auth = auth;
        this.functions = new FunctionRegistry(redis);
        this.queues = new CallQueues(redis);
        this.replies = new ReplyChannel(redis);
        this.router = router;
    }

    void mount(Router routes) {
        routes.post("/v1/functions/:fn/invocations").handler(BodyHandler.create().setBodyLimit(1 << 20)).handler(this::invoke);
        routes.get("/v1/activations/:id").handler(this::activation);
    }

    void onEnqueued(Runnable hook) {
        this.onEnqueued = hook;
    }

    private void invoke(RoutingContext ctx) {
        boolean async = "true".equals(ctx.request().getParam("async"));
        accept(ctx, ctx.pathParam("fn"), body -> InvokeRequest.hasMessages(body)
                ? InvokeRequest.parseChat(body, config.chatTemplate())
                : InvokeRequest.parse(body))
                .onSuccess(call -> respond(ctx, call, async, ReplyFormat.NATIVE)).onFailure(e -> fail(ctx, e));
    }

    /**
     * Everything before admission: the caller, its function, the body, the prompt's length and the adapter
     * version; completes with the call to admit.
     */
    Future<PendingCall> accept(RoutingContext ctx, String fn) {
        return accept(ctx, fn, InvokeRequest::parse);
    }

    /** {@link #accept(RoutingContext, String)} with another body parser (the chat endpoint renders messages). */
    Future<PendingCall> accept(RoutingContext ctx, String fn, java.util.function.Function<String, InvokeRequest> parser) {
        return auth.tenant(ctx).compose(tenant -> function(tenant.id(), fn).compose(spec -> {
            if (spec.isEmpty()) {
                return functions.ownedByAnother(tenant.id(), fn).compose(other -> Future.failedFuture(other
                        ? new ApiError(403, "FORBIDDEN", "function '" + fn + "' belongs to another tenant")
                        : new ApiError(404, "FUNCTION_NOT_FOUND", "tenant '" + tenant.id() + "' has no function '" + fn + "'")));
            }
            InvokeRequest req = parser.apply(ctx.body().asString());
            return withinPromptLimit(req.prompt()).compose(v -> versions.resolve(tenant.id(), spec.get().adapter(), spec.get().version()))
                    .map(version -> new PendingCall(call(tenant, spec.get(), version, req), tenant.rate()));
        }));
    }

    private Future<Void> withinPromptLimit(String prompt) {
        return config.promptLimit().excess(vertx, prompt).compose(over -> over.isEmpty() ? Future.succeededFuture()
                : Future.failedFuture(new ApiError(413, "PROMPT_TOO_LONG", "the prompt is " + over.getAsInt()
                        + " tokens; the limit is " + config.promptLimit().maxTokens())));
    }

    /** A call that passed every check but admission, with its tenant's rate. */
    record PendingCall(Invocation invocation, RateLimit rate) {
    }

    /** Rate limit, queue depth, activation record and enqueue, in one script; a refusal fails with its 429 or 503. */
    private Future<Void> admitAndEnqueue(PendingCall pending) {
        Invocation call = pending.invocation();
        return queues.admit(call, new Admission.Limits(pending.rate().rps(), pending.rate().burst(), config.maxQueueDepth()),
                ContractJson.write(ActivationRecord.queued(call)), ReplyChannel.ACTIVATION_TTL_SECONDS).compose(a -> switch (a.outcome()) {
                    case ADMITTED -> {
                        if (a.queued()) {
                            onEnqueued.run();
                        }
                        yield Future.succeededFuture();
                    }
                    case RATE_LIMITED -> Future.failedFuture(new ApiError(429, "RATE_LIMITED", "tenant '" + call.tenant()
                            + "' is over its rate of " + pending.rate().rps() + " calls/s", Math.max(1, (a.retryAfterMs() + 999) / 1000)));
                    case QUEUE_FULL -> Future.failedFuture(new ApiError(503, "OVERLOADED", call.tenant() + " has " + a.depth()
                            + " calls waiting; the limit is " + config.maxQueueDepth(), 1));
                });
    }

    private Invocation call(Tenant tenant, FunctionSpec spec, String version, InvokeRequest req) {
        long now = System.currentTimeMillis();
        // a seed fixed here makes a call that a dead worker left behind produce the same tokens when it runs again,
        // so a client that already streamed part of it sees the rest, not a different answer
        long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong();
        return new Invocation(UUID.randomUUID().toString(), tenant.id(), spec.name(), spec.adapter(), version, req.prompt(),
                req.maxTokens(), req.temperature(), req.topP(), req.topK(), seed, req.stop(), req.stream(), config.invokerId(),
                now, now + (spec.timeoutMs() > 0 ? spec.timeoutMs() : config.timeoutMs()), tenant.tier().weight());
    }

    /** Admits and enqueues the call and answers: 202 at once when async, else the result in {@code format}. */
    void respond(RoutingContext ctx, PendingCall pending, boolean async, ReplyFormat format) {
        HttpServerResponse res = ctx.response();
        Invocation call = pending.invocation();
        if (async) {
            admitAndEnqueue(pending)
                    .onSuccess(v -> res.setStatusCode(202).putHeader("content-type", "application/json")
                            .end(new JsonObject().put("id", call.id()).encode()))
                    .onFailure(e -> fail(ctx, e));
            return;
        }
        StringBuilder text = new StringBuilder();
        long timer = vertx.setTimer(Math.max(1, call.deadlineMs() - System.currentTimeMillis()), t -> {
            router.unregister(call.id());
            fail(ctx, new ApiError(504, "DEADLINE_EXCEEDED", "no result within " + (call.deadlineMs() - call.acceptedAtMs()) + " ms"));
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
                    res.write(format.streamChunk(call, chunk.text()));
                }
                return;
            }
            vertx.cancelTimer(timer);
            if (chunk.error() != null) {
                fail(ctx, new ApiError(ApiError.statusOf(chunk.error().code()), chunk.error().code(), chunk.error().message()));
                return;
            }
            String output = text.append(chunk.text()).toString();
            if (call.stream()) {
                res.end(format.streamEnd(call, output, chunk));
            } else {
                res.putHeader("content-type", "application/json").end(format.answer(call, output, chunk).encode());
            }
        }));
        admitAndEnqueue(pending).onSuccess(v -> {
            // an accepted stream answers at once, as SSE clients expect: status and headers now, events as they come
            if (call.stream() && !res.headWritten() && !res.ended()) {
                res.writeHead();
            }
        }).onFailure(e -> {
            router.unregister(call.id());
            vertx.cancelTimer(timer);
            fail(ctx, e);
        });
    }

    private void activation(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        auth.tenant(ctx).compose(tenant -> replies.activation(id).compose(record -> {
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

    /** The tenant's function, cached for a second: a redeploy takes effect within that. */
    private Future<Optional<FunctionSpec>> function(String tenant, String fn) {
        FunctionSpec known = functionCache.getIfPresent(tenant + "/" + fn);
        if (known != null) {
            return Future.succeededFuture(Optional.of(known));
        }
        return functions.find(tenant, fn).onSuccess(spec -> spec.ifPresent(s -> functionCache.put(tenant + "/" + fn, s)));
    }
}
