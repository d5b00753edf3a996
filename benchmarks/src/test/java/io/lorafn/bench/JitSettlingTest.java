package io.lorafn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class JitSettlingTest {
    @Test
    void roundsThatCompileNothingSettleAfterThreeInARow() {
        AtomicInteger ran = new AtomicInteger();
        JitSettling.Settled s = JitSettling.warmUp(() -> {
            ran.incrementAndGet();
            LockSupport.parkNanos(30_000_000); // 30 ms in which this test compiles nothing
        }, 20_000_000_000L);
        assertTrue(s.settled(), s.toString());
        assertTrue(s.rounds() >= JitSettling.QUIET_ROUNDS, s.toString());
        assertEquals(ran.get(), s.rounds());
        assertTrue(s.lastCompileShare() <= JitSettling.QUIET_SHARE, s.toString());
        assertNull(s.warning("test"));
    }

    @Test
    void noTimeMeansOneRound() {
        AtomicInteger ran = new AtomicInteger();
        JitSettling.Settled s = JitSettling.warmUp(ran::incrementAndGet, 0);
        assertEquals(1, s.rounds());
        assertEquals(1, ran.get());
        assertFalse(s.settled());
    }

    @Test
    void aWarmUpCutShortWhileTheJitCompilesSaysSo() {
        JitSettling.Settled busy = new JitSettling.Settled(4, 0.25, false);
        assertTrue(busy.warning("batch 8").contains("25% of the last of 4 rounds"), busy.warning("batch 8"));
        assertNull(new JitSettling.Settled(1, 0.0, false).warning("a quiet single round"));
    }
}
