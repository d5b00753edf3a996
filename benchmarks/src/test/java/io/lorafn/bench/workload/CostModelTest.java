package io.lorafn.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each design's cost against numbers worked out by hand. */
class CostModelTest {
    /** Image 4 GiB, a worker's own memory 1 GiB, restore 2 s, idle timeout 10 s, $0.50 a GiB-hour. */
    static final CostModel MODEL = new CostModel(4, 1, 2000, 10, 0.5);
    /** t1 calls at 0 s, 5 s and 30 s (given out of order), t2 once at 1 s. */
    static final Map<String, List<Long>> ARRIVALS = Map.of("t1", List.of(30_000L, 0L, 5_000L), "t2", List.of(1_000L));
    static final long TOKENS = 2_000_000;

    static void assertCost(CostModel.Cost c, String design, double gibHours, long coldStarts) {
        assertEquals(design, c.design());
        assertEquals(gibHours, c.gibHours(), 1e-12, design);
        assertEquals(gibHours * 0.5, c.usd(), 1e-12, design);
        assertEquals(gibHours * 0.5 / 2, c.usdPer1MTokens(), 1e-12, design + ": two million tokens");
        assertEquals(coldStarts, c.coldStarts(), design);
        assertNull(c.notComputed(), design);
    }

    @Test
    void everyDesignCostsWhatItsMemoryTimeComesTo() {
        // the pool: two worker-hours over a one-hour run
        List<CostModel.Cost> costs = MODEL.costs(7200, 3600, ARRIVALS, TOKENS, 3);
        assertEquals(4, costs.size());
        assertCost(costs.get(0), "lorafn pool (shared backbone)", 2 * 1 + 1 * 4, 3); // each worker's own GiB, the image once
        assertCost(costs.get(1), "same pool, no backbone sharing", 2 * (1 + 4), 3); // each worker its own image
        assertCost(costs.get(2), "dedicated instance per tenant, always on", 2 * 1 * (1 + 4), 0); // two tenants, the whole hour
        // t1: down at 0 (restore 2 + idle 10 = 12 s), up at 5 (the idle window moves 5 s on), down again at 30 (12 s): 29 s, 2 restores;
        // t2: 12 s, 1 restore. 41 instance-seconds of 5 GiB.
        assertCost(costs.get(3), "dedicated instance per tenant, scale to zero", 41.0 / 3600 * 5, 3);
    }

    @Test
    void aRunWithoutTokensCostsNothingPerToken() {
        assertEquals(0, MODEL.costs(7200, 3600, ARRIVALS, 0, 3).getFirst().usdPer1MTokens());
    }

    @Test
    void withoutAMeasuredRestoreTheScaleToZeroDesignIsNotComputed() {
        CostModel noRestore = new CostModel(4, 1, Double.NaN, 10, 0.5);
        List<CostModel.Cost> costs = noRestore.costs(7200, 3600, ARRIVALS, TOKENS, 3);
        CostModel.Cost scaleToZero = costs.get(3);
        assertEquals("dedicated instance per tenant, scale to zero", scaleToZero.design());
        assertTrue(scaleToZero.notComputed().contains("restore"), scaleToZero.notComputed());
        assertTrue(Double.isNaN(scaleToZero.usd()) && Double.isNaN(scaleToZero.gibHours()) && Double.isNaN(scaleToZero.usdPer1MTokens()),
                "not priced as if a restore were free: " + scaleToZero);
        assertEquals(3, scaleToZero.coldStarts(), "the restores it would need are still counted");
        assertCost(costs.get(0), "lorafn pool (shared backbone)", 6, 3); // the designs that need no restore time are unchanged
        assertCost(costs.get(2), "dedicated instance per tenant, always on", 10, 0);
    }
}
