package io.lorafn.invoker.auth;

import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.pool.contract.RedisKeys;
import io.lorafn.pool.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Tenants and their API keys in Redis ({@code lf:tenant:{t}}, and {@code lf:key:{sha256}} → tenant).
 * A key is 32 random bytes shown once at creation; only its sha256 is stored, and a presented key is
 * compared with the stored hash in constant time, so neither a Redis dump nor timing reveals keys.
 */
public final class TenantRegistry {
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String KEY_PREFIX = "lf_";
    /** The tenant and its key index in one script: no half-created tenant whatever fails between. */
    private static final RedisScript CREATE = RedisScript.resource(TenantRegistry.class, "create_tenant.lua");

    private final RedisAPI redis;

    public TenantRegistry(RedisAPI redis) {
        this.redis = redis;
    }

    /** A created tenant and its key, which is not stored and cannot be shown again. */
    public record Created(Tenant tenant, String apiKey) {
    }

    /** Creates a tenant; fails with {@code TenantExists} if the id is taken. */
    public Future<Created> create(Tenant tenant) {
        if (!ID.matcher(tenant.id()).matches()) {
            return Future.failedFuture(new IllegalArgumentException("tenant id '" + tenant.id()
                    + "' must be 1-63 lowercase letters, digits or '-', starting with a letter or digit"));
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String key = KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        String hash = sha256(key);
        return CREATE.run(redis, List.of(RedisKeys.tenant(tenant.id()), "lf:key:" + hash), List.of(hash, tenant.tier().name(),
                Double.toString(tenant.rate().rps()), Integer.toString(tenant.rate().burst()), tenant.id())).compose(created ->
                created.toInteger() == 1 ? Future.succeededFuture(new Created(tenant, key)) : Future.failedFuture(new TenantExists(tenant.id())));
    }

    /** The tenant a presented key belongs to, if any. */
    public Future<Optional<Tenant>> authenticate(String presentedKey) {
        if (presentedKey == null || !presentedKey.startsWith(KEY_PREFIX)) {
            return Future.succeededFuture(Optional.empty());
        }
        String hash = sha256(presentedKey);
        return redis.get("lf:key:" + hash).compose(id -> {
            if (id == null) {
                return Future.succeededFuture(Optional.<Tenant>empty());
            }
            return redis.hgetall(RedisKeys.tenant(id.toString())).map(h -> {
                Response stored = h.get("key_sha256");
                if (stored == null || !constantTimeEquals(stored.toString(), hash)) {
                    return Optional.<Tenant>empty();
                }
                return Optional.of(tenant(id.toString(), h));
            });
        });
    }

    public Future<Optional<Tenant>> find(String id) {
        return redis.hgetall(RedisKeys.tenant(id)).map(h -> h == null || h.size() == 0 ? Optional.empty() : Optional.of(tenant(id, h)));
    }

    /** Whether a presented operator key matches the configured one, in constant time. */
    public static boolean isOperator(String presented, String operatorKey) {
        return presented != null && operatorKey != null && constantTimeEquals(sha256(presented), sha256(operatorKey));
    }

    private static Tenant tenant(String id, Response h) {
        return new Tenant(id, Tenant.Tier.valueOf(h.get("tier").toString()),
                new RateLimit(Double.parseDouble(h.get("rps").toString()), Integer.parseInt(h.get("burst").toString())));
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tenant id is taken (the invoker answers 409). */
    public static final class TenantExists extends RuntimeException {
        public TenantExists(String id) {
            super("tenant '" + id + "' already exists");
        }
    }
}
