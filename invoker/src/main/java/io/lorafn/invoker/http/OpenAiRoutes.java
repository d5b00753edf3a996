package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import io.lorafn.invoker.functions.FunctionRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * OpenAI-compatible routes: {@code POST /v1/completions} and {@code POST /v1/chat/completions} (both
 * streaming too) and {@code GET /v1/models}. {@code model} is the function's name; the tenant comes from
 * the key. Chat messages are rendered with the served model's chat template. The call goes through the
 * same admission as {@code /v1/functions/{fn}/invocations}.
 */
final class OpenAiRoutes {
    private final Authenticator auth;
    private final InvocationRoutes invocations;
    private final FunctionRegistry functions;

    private final io.lorafn.invoker.chat.ChatTemplate chatTemplate;

    OpenAiRoutes(Authenticator auth, InvocationRoutes invocations, FunctionRegistry functions, InvokerConfig config) {
        this.auth = auth;
        this.invocations = invocations;
        this.functions = functions;
        this.chatTemplate = config.chatTemplate();
    }

    void mount(Router routes) {
        routes.post("/v1/completions").handler(BodyHandler.create().setBodyLimit(1 << 20)).handler(this::completions);
        routes.post("/v1/chat/completions").handler(BodyHandler.create().setBodyLimit(1 << 20)).handler(this::chat);
        routes.get("/v1/models").handler(this::models);
    }

    private void completions(RoutingContext ctx) {
        String model = model(ctx);
        if (model != null) {
            invocations.accept(ctx, model).onSuccess(call -> invocations.respond(ctx, call, false, ReplyFormat.OPENAI_COMPLETION))
                    .onFailure(e -> fail(ctx, e));
        }
    }

    private void chat(RoutingContext ctx) {
        String model = model(ctx);
        if (model != null) {
            invocations.accept(ctx, model, body -> InvokeRequest.parseChat(body, chatTemplate))
                    .onSuccess(call -> invocations.respond(ctx, call, false, ReplyFormat.OPENAI_CHAT)).onFailure(e -> fail(ctx, e));
        }
    }

    /** The body's {@code model}; null after answering 400 when it is missing. */
    private static String model(RoutingContext ctx) {
        String model;
        try {
            model = new JsonObject(ctx.body().asString()).getString("model");
        } catch (RuntimeException e) {
            fail(ctx, new ApiError(400, "BAD_REQUEST", "the body is not a JSON object with a string 'model'"));
            return null;
        }
        if (model == null || model.isBlank()) {
            fail(ctx, new ApiError(400, "BAD_REQUEST", "'model' (the function's name) is required"));
            return null;
        }
        return model;
    }

    private void models(RoutingContext ctx) {
        auth.tenant(ctx).compose(tenant -> functions.list(tenant.id()).map(names -> {
            JsonArray data = new JsonArray();
            names.forEach(n -> data.add(new JsonObject().put("id", n).put("object", "model").put("created", 0).put("owned_by", tenant.id())));
            return new JsonObject().put("object", "list").put("data", data);
        })).onSuccess(ctx::json).onFailure(e -> fail(ctx, e));
    }
}
