package io.lorafn.invoker.http;

import io.lorafn.storage.StorageException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** How every route answers a failure: the one mapping from exceptions to statuses and error bodies. */
final class HttpSupport {
    private HttpSupport() {
    }

    /**
     * Storage failures: refused adapters 422, a taken version 409, bad names 400, missing adapters 404,
     * an unreachable object store 503; anything unexpected 500.
     */
    static ApiError apiError(Throwable e) {
        if (e instanceof ApiError a) {
            return a;
        }
        if (e instanceof StorageException s) {
            String code = s.code();
            int status = switch (code) {
                case "ADAPTER_VERSION_EXISTS" -> 409;
                case "ADAPTER_BAD_NAME" -> 400;
                case "ADAPTER_NOT_FOUND" -> 404;
                default -> code.startsWith("OBJECT_STORE") ? 503 : 422;
            };
            return new ApiError(status, code, s.getMessage(), status == 503 ? 1 : 0);
        }
        return new ApiError(500, "INTERNAL", e.toString());
    }

    static void fail(RoutingContext ctx, Throwable e) {
        HttpServerResponse res = ctx.response();
        if (res.ended()) {
            return;
        }
        ApiError err = apiError(e);
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
