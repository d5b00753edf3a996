package io.lorafn.pool.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A Lua script kept in the resources, run with EVALSHA; loaded on first use and again if Redis has
 * forgotten it (a restart or SCRIPT FLUSH answers NOSCRIPT).
 */
public final class RedisScript {
    private final String source;
    private volatile String sha;

    private RedisScript(String source) {
        this.source = source;
    }

    /** The resource {@code name} next to {@code owner}'s class file. */
    public static RedisScript resource(Class<?> owner, String name) {
        return new RedisScript(text(owner, name));
    }

    /** Resources next to {@code owner}'s class file, joined in order: shared Lua functions first, then the script. */
    public static RedisScript resources(Class<?> owner, String... names) {
        StringBuilder source = new StringBuilder();
        for (String name : names) {
            source.append(text(owner, name)).append('\n');
        }
        return new RedisScript(source.toString());
    }

    private static String text(Class<?> owner, String name) {
        try (InputStream in = owner.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(owner.getName() + ": no script resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Future<Response> run(RedisAPI redis, List<String> keys, List<String> args) {
        if (sha == null) {
            return loadAndRun(redis, keys, args);
        }
        return redis.evalsha(arguments(keys, args)).recover(e -> e.getMessage() != null && e.getMessage().startsWith("NOSCRIPT")
                ? loadAndRun(redis, keys, args) : Future.failedFuture(e));
    }

    private Future<Response> loadAndRun(RedisAPI redis, List<String> keys, List<String> args) {
        return redis.script(List.of("LOAD", source)).compose(loaded -> {
            sha = loaded.toString();
            return redis.evalsha(arguments(keys, args));
        });
    }

    private List<String> arguments(List<String> keys, List<String> args) {
        List<String> all = new ArrayList<>(2 + keys.size() + args.size());
        all.add(sha);
        all.add(Integer.toString(keys.size()));
        all.addAll(keys);
        all.addAll(args);
        return all;
    }
}
