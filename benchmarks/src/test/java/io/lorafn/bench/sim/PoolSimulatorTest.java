package io.lorafn.bench.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.scale.PoolConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool model against cases worked out by hand. */
class PoolSimulatorTest {
    /** Restore 3 s, cold load 100, warm 10, prefill 50 + 1/token, decode 20/token, 2 slots, 1 hot and 1 warm adapter. */
    static final PoolModel MODEL = new PoolModel(3000, 10, 100, 50, 1, 20, 0, 2, 1, 1);

    static TraceCall call(long at, String adapter) {
        return new TraceCall("c" + at, at, adapter, 10, 5, true, 0, 0, 0, 0, 0, false, null, null);
    }

    @Test
    void aCallAtAnEmptyPoolWaitsForARestoreAndTheNextForNothing() {
        SimResult r = PoolSimulator.run(List.of(call(1000, "a"), call(5000, "a")), new PoolConfig(0, 2, 0, 60, 8), MODEL);
        assertEquals(2, r.calls());
        assertEquals(1, r.coldStarts(), "the first waited for the restore; the second found the adapter hot");
        // first: restore 3000 + cold load 100 + prefill 60; second: prefill 60 on the warm worker
        assertEquals(60, r.p50TtftMs(), 1e-9);
        assertEquals(3160, r.p99TtftMs(), 1e-9);
        assertEquals(1, r.peakWorkers());
    }

    @Test
    void aWarmFloorRemovesTheRestoreButNotTheFirstLoadOfAnAdapter() {
        SimResult r = PoolSimulator.run(List.of(call(1000, "a"), call(5000, "a")), new PoolConfig(1, 2, 0, 60, 8), MODEL);
        assertEquals(1, r.coldStarts(), "the adapter still came from the object store once");
        assertEquals(160, r.p99TtftMs(), 1e-9);
    }

    @Test
    void aShortGracePeriodScalesToZeroBetweenCallsAndCostsAColdStartEachTime() {
        List<TraceCall> sparse = List.of(call(0, "a"), call(20_000, "a"), call(40_000, "a"));
        SimResult brief = PoolSimulator.run(sparse, new PoolConfig(0, 1, 0, 5, 8), MODEL);
        SimResult patient = PoolSimulator.run(sparse, new PoolConfig(0, 1, 0, 30, 8), MODEL);
        assertEquals(3, brief.coldStarts(), "back to zero after 5 s: every call restores");
        assertEquals(1, patient.coldStarts(), "kept for 30 s: only the first");
        assertTrue(brief.workerSeconds() < patient.workerSeconds(), "and the patient pool pays for it in worker-seconds");
        assertTrue(patient.idleWorkerSeconds() > 30, "mostly idle: " + patient.idleWorkerSeconds());
    }

    @Test
    void callsBeyondAWorkersSlotsWaitForOneToFinishAndJoinTheRunningBatch() {
        // three calls at once on one warm worker with two slots; a step costs 50 ms + 1 ms a token
        List<TraceCall> burst = List.of(call(1000, "a"), call(1000, "a"), call(1000, "a"));
        SimResult r = PoolSimulator.run(burst, new PoolConfig(1, 1, 0, 60, 8), MODEL);
        // B (adapter hot once A claimed it) prefills at once: 60 ms. A loads for 100 ms, joins at 111 beside B's
        // decode: 11 tokens, its first at 172. B's four decode steps end at 276, C takes its slot and prefills
        // beside A's decode: 337.
        assertEquals(172, r.p50TtftMs(), 1e-9);
        assertEquals(337, r.p99TtftMs(), 1e-9, "the third waited for a slot, then shared the steps");
    }

    @Test
    void theFitRecoversTheTimesATraceWasMadeWith() {
        List<TraceCall> trace = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int prompt = 10 + 10 * i;
            long prefill = 40 + 2L * prompt; // 40 ms + 2 ms a token
            trace.add(new TraceCall("h" + i, 1000L * i, "a", prompt, 11, true, 5, 0, 0, 5 + prefill, 5 + prefill + 300, false, "hot", "w1"));
        }
        trace.add(new TraceCall("c", 0, "b", 10, 11, true, 2600, 2500, 120, 2900, 3200, true, "cold", "w1"));
        trace.add(new TraceCall("w", 0, "c", 10, 11, true, 0, 0, 9, 100, 400, false, "warm", "w1"));
        PoolModel fitted = PoolModel.fit(trace, MODEL);
        assertEquals(40, fitted.prefillFixedMs(), 1e-6);
        assertEquals(2, fitted.prefillMsPerToken(), 1e-6);
        assertEquals(30, fitted.decodeMsPerToken(), 1e-6);
        assertEquals(120, fitted.coldLoadMs(), 1e-9);
        assertEquals(9, fitted.warmLoadMs(), 1e-9);
        assertEquals(2600, fitted.restoreMs(), 1e-9, "a call at an empty pool waited 2600 ms for its pickup");
        assertEquals(2900 - 2600 - 120 - (40 + 2 * 10), fitted.firstCallMs(), 1e-6, "and its first step took the rest");
        assertEquals(MODEL.slots(), fitted.slots(), "what a trace cannot tell keeps its default");
    }

    @Test
    void aStepCostsItsTokensButNeverLessThanALoneDecodeStep() {
        // the line alone would make a step of 10 tokens 10 ms; a lone decode step measured 20 ms, a pass over the weights
        PoolModel roofline = new PoolModel(3000, 10, 100, 0, 1, 20, 0, 2, 1, 1);
        List<TraceCall> calls = List.of(call(1000, "a"), new TraceCall("long", 5000, "a", 30, 5, true, 0, 0, 0, 0, 0, false, null, null));
        SimResult r = PoolSimulator.run(calls, new PoolConfig(1, 1, 0, 60, 8), roofline);
        // first: cold load 100 + max(20, 0 + 1 x 10) = 120; second, hot: max(20, 0 + 1 x 30) = 30, the line above the floor
        assertEquals(120, r.p99TtftMs(), 1e-9);
        assertEquals(30, r.p50TtftMs(), 1e-9);
    }

    @Test
    void theDecodeFloorIsFittedFromCallsThatDecodedAloneNotFromTheLoadedRun() {
        List<TraceCall> trace = new ArrayList<>();
        // alone on w1: ten decode steps in 300 ms, 30 ms a step
        trace.add(new TraceCall("l0", 0, "a", 10, 11, true, 0, 0, 0, 100, 400, false, "hot", "w1"));
        trace.add(new TraceCall("l1", 10_000, "a", 10, 11, true, 0, 0, 0, 100, 400, false, "hot", "w1"));
        // three at once on w2: each of their steps carried the others' tokens too, 60 ms a token
        List<TraceCall> loaded = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            loaded.add(new TraceCall("b" + i, 0, "b", 10, 11, true, 0, 0, 0, 100, 700, false, "hot", "w2"));
        }
        trace.addAll(loaded);
        assertEquals(30, PoolModel.fit(trace, MODEL).decodeMsPerToken(), 1e-9, "the median of all five would be 60");
        assertEquals(MODEL.decodeMsPerToken(), PoolModel.fit(loaded, MODEL).decodeMsPerToken(), 1e-9,
                "no call decoded alone: the default, not the loaded time");
    }
}
