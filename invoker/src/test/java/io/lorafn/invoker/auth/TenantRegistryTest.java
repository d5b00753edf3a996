package io.lorafn.invoker.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.invoker.limits.RateLimit;
import io.lorafn.pool.RealRedis;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Tenants and keys against a real redis-server. */
class TenantRegistryTest extends RealRedis {
    @Test
    void aKeyAuthenticatesItsTenantAndOnlyItsHashIsStored() throws Exception {
        TenantRegistry registry = new TenantRegistry(redis);
        TenantRegistry.Created acme = await(registry.create(new Tenant("acme", Tenant.Tier.GOLD, new RateLimit(5, 10))));
        TenantRegistry.Created globex = await(registry.create(new Tenant("globex", Tenant.Tier.FREE, new RateLimit(1, 2))));
        assertTrue(acme.apiKey().startsWith("lf_") && acme.apiKey().length() > 40);
        assertEquals(Optional.of(acme.tenant()), await(registry.authenticate(acme.apiKey())));
        assertEquals("globex", await(registry.authenticate(globex.apiKey())).orElseThrow().id());
        assertEquals(Optional.empty(), await(registry.authenticate(acme.apiKey() + "x")));
        assertEquals(Optional.empty(), await(registry.authenticate("Bearer nonsense")));
        assertEquals(Optional.empty(), await(registry.authenticate(null)));

        Response keys = await(redis.keys("*"));
        for (Response k : keys) {
            assertFalse(k.toString().contains(acme.apiKey()), "no key in key names");
        }
        for (Response v : await(redis.hgetall("lf:tenant:acme"))) {
            assertFalse(v.toString().contains(acme.apiKey()), "no key in values");
        }
    }

    @Test
    void idsAreUniqueAndWellFormed() throws Exception {
        TenantRegistry registry = new TenantRegistry(redis);
        await(registry.create(new Tenant("initech", Tenant.Tier.SILVER, new RateLimit(1, 1))));
        ExecutionException taken = assertThrows(ExecutionException.class,
                () -> await(registry.create(new Tenant("initech", Tenant.Tier.FREE, new RateLimit(1, 1)))));
        assertTrue(taken.getCause() instanceof TenantRegistry.TenantExists);
        for (String bad : List.of("Acme", "a:b", "-x", "", "a".repeat(64))) {
            assertThrows(ExecutionException.class, () -> await(registry.create(new Tenant(bad, Tenant.Tier.FREE, new RateLimit(1, 1)))), bad);
        }
        assertEquals(Tenant.Tier.SILVER, await(registry.find("initech")).orElseThrow().tier());
        assertEquals(Optional.empty(), await(registry.find("nobody")));
    }

    @Test
    void theOperatorKeyIsComparedInConstantTime() {
        assertTrue(TenantRegistry.isOperator("op-secret", "op-secret"));
        assertFalse(TenantRegistry.isOperator("op-secre", "op-secret"));
        assertFalse(TenantRegistry.isOperator(null, "op-secret"));
        assertEquals(Tenant.Tier.GOLD, Tenant.Tier.parse("gold"));
        assertEquals(4.0, Tenant.Tier.GOLD.weight());
        assertThrows(IllegalArgumentException.class, () -> Tenant.Tier.parse("platinum"));
    }
}
