package io.lorafn.invoker.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** How every route answers a failure: the one mapping from exceptions to statuses and error bodies. */
final class HttpSupport {
    private HttpSupport() {
    }

    static void fail(RoutingContext ctx, Throwable e) {
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
}
