package io.lorafn.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.scale.PoolConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which setting the tuner recommends. */
class KnobSweepTest {
    static SimResult result(int minWarm, double p99, double workerSeconds, double idleWorkerSeconds) {
        return new SimResult(new PoolConfig(minWarm, 4, 0, 30, 8), 100, 1, p99 / 2, p99, p99, workerSeconds, idleWorkerSeconds, 2);
    }

    static final SimResult FAST_AND_DEAR = result(3, 1500, 100, 80);
    static final SimResult CHEAP_AND_SLOW = result(0, 3000, 10, 5); // the cheapest of all, but misses a 2000 ms target
    static final SimResult MEETS = result(1, 1900, 60, 50);

    @Test
    void theCheapestSettingThatMeetsTheTargetIsTheOneWithTheFewestWorkerSeconds() {
        assertEquals(MEETS, KnobSweep.cheapestMeeting(List.of(FAST_AND_DEAR, CHEAP_AND_SLOW, MEETS), 2000).orElseThrow(),
                "60 worker-s beats 100; the 10 worker-s setting misses the target");
        assertEquals(CHEAP_AND_SLOW, KnobSweep.cheapestMeeting(List.of(FAST_AND_DEAR, CHEAP_AND_SLOW, MEETS), 3000).orElseThrow(),
                "a looser target admits it, and it is the cheapest");
    }

    @Test
    void equalWorkerSecondsGoToTheFewerIdleOnesAndTheTargetIsInclusive() {
        SimResult lessIdle = result(2, 2000, 60, 40); // p99 exactly at the target meets it
        assertEquals(lessIdle, KnobSweep.cheapestMeeting(List.of(MEETS, lessIdle, FAST_AND_DEAR), 2000).orElseThrow());
        assertEquals(lessIdle, KnobSweep.cheapestMeeting(List.of(lessIdle, MEETS, FAST_AND_DEAR), 2000).orElseThrow(), "whatever the order");
    }

    @Test
    void noSettingMeetingTheTargetRecommendsNothing() {
        assertTrue(KnobSweep.cheapestMeeting(List.of(FAST_AND_DEAR, CHEAP_AND_SLOW, MEETS), 1000).isEmpty());
        assertTrue(KnobSweep.cheapestMeeting(List.of(), 1000).isEmpty());
    }
}
