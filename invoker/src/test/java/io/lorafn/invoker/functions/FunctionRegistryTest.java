package io.lorafn.invoker.functions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class FunctionRegistryTest extends RealRedis {
    @Test
    void aDeployedFunctionIsFoundOnlyUnderItsOwnTenant() throws Exception {
        FunctionRegistry functions = new FunctionRegistry(redis);
        FunctionSpec support = new FunctionSpec("acme", "support", "support-bot", FunctionSpec.LATEST);
        await(functions.deploy(support));
        assertEquals(Optional.of(support), await(functions.find("acme", "support")));
        assertTrue(support.followsLatest());
        assertEquals(Optional.empty(), await(functions.find("globex", "support")), "another tenant's function is not visible");
        assertEquals(Optional.empty(), await(functions.find("acme", "../support")));

        FunctionSpec pinned = new FunctionSpec("acme", "support", "support-bot", "3");
        await(functions.deploy(pinned));
        assertEquals(Optional.of(pinned), await(functions.find("acme", "support")), "redeploy replaces");
        assertTrue(await(functions.remove("acme", "support")));
        assertFalse(await(functions.remove("acme", "support")));
    }

    @Test
    void badNamesAreRefused() {
        FunctionRegistry functions = new FunctionRegistry(redis);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> await(functions.deploy(new FunctionSpec("acme", "bad name", "a", "1"))));
        assertTrue(e.getCause().getMessage().contains("function 'bad name'"), e.getCause().getMessage());
    }
}
