package io.lorafn.pool.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeficitRoundRobinTest {
    @Test
    void backloggedTenantsShareSlotsByTierWeight() {
        DeficitRoundRobin drr = new DeficitRoundRobin(1);
        Map<String, Integer> depths = Map.of("gold", 1000, "silver", 1000, "free", 1000);
        Map<String, Double> weights = Map.of("gold", 4.0, "silver", 2.0, "free", 1.0);
        int gold = 0, silver = 0, free = 0;
        for (int i = 0; i < 100; i++) {
            List<String> picks = drr.plan(depths, weights, 7);
            gold += Collections.frequency(picks, "gold");
            silver += Collections.frequency(picks, "silver");
            free += Collections.frequency(picks, "free");
        }
        assertEquals(400, gold);
        assertEquals(200, silver);
        assertEquals(100, free);
    }

    @Test
    void aSmallTenantIsServedWithinOneRoundHoweverBusyTheOthers() {
        DeficitRoundRobin drr = new DeficitRoundRobin(1);
        List<String> picks = drr.plan(Map.of("big", 10_000, "small", 1), Map.of("big", 4.0, "small", 1.0), 5);
        assertTrue(picks.contains("small"), picks.toString());
    }

    @Test
    void fractionalWeightsAccumulateAndIdleTenantsKeepNoCredit() {
        DeficitRoundRobin drr = new DeficitRoundRobin(0.5);
        assertEquals(List.of(), drr.plan(Map.of("t", 5), Map.of("t", 1.0), 0));
        List<String> first = drr.plan(Map.of("t", 5), Map.of("t", 1.0), 1);
        assertEquals(List.of("t"), first, "two half-quanta make one call");
        assertEquals(List.of(), drr.plan(Map.of("t", 0), Map.of(), 4));
        assertEquals(List.of("a", "a"), drr.plan(Map.of("a", 2), Map.of(), 10));
    }
}
