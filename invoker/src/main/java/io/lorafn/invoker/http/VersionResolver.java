package io.lorafn.invoker.http;

import io.vertx.core.Future;

/** Turns a function's version ("latest" or a fixed one) into the version a call will run. */
@FunctionalInterface
public interface VersionResolver {
    Future<String> resolve(String tenant, String adapter, String version);
}
