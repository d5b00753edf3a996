package io.lorafn.bench.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import io.lorafn.pool.contract.Timings;
import io.lorafn.pool.contract.Usage;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What results.json and report.md say about the costs, measured or not. */
class WorkloadReportTest {
    static final long STARTED = 1_000_000;
    static final WorkloadPlan PLAN = WorkloadPlan.generate(2, 5, 3, 1.1, Distribution.parse("fixed:10"), Distribution.parse("fixed:4"), 1);
    static final List<ActivationRecord> RECORDS = List.of(record("a", "t0", 0), record("b", "t1", 1500), record("c", "t0", 3000));

    static ActivationRecord record(String id, String tenant, long at) {
        return new ActivationRecord(id, tenant, "fn", "v1", ActivationStatus.SUCCEEDED, null, "length", new Usage(10, 4),
                new Timings(5, 0, 0, 50, 100), false, null, STARTED + at, "w1", "hot");
    }

    static WorkloadReport report(double restoreMs) {
        return WorkloadReport.of(PLAN, STARTED, 5, RECORDS, Map.of(), List.of(new PoolSample(STARTED, 1, 0, 0)),
                new CostModel(4, 1, restoreMs, 30, 0.005), 1.0, 5);
    }

    @Test
    void aRunWithoutARestoreReportsItNotMeasuredAndLeavesScaleToZeroUnpriced() {
        WorkloadReport r = report(Double.NaN);
        JsonObject memory = r.json().getJsonObject("memory");
        assertTrue(memory.containsKey("restore_ms") && memory.getValue("restore_ms") == null, "null, not 0: " + memory);
        JsonObject scaleToZero = r.json().getJsonObject("cost").getJsonArray("designs").getJsonObject(3);
        assertEquals("dedicated instance per tenant, scale to zero", scaleToZero.getString("design"));
        assertNull(scaleToZero.getValue("usd"), scaleToZero.encode());
        assertNull(scaleToZero.getValue("usd_per_1m_tokens"), scaleToZero.encode());
        assertTrue(scaleToZero.getString("not_computed").contains("restore"), scaleToZero.encode());
        assertTrue(r.markdown().contains("restore time (not measured"), r.markdown());
        assertTrue(r.markdown().contains("| dedicated instance per tenant, scale to zero | not computed: "), r.markdown());
        assertFalse(r.markdown().contains("NaN"), r.markdown());
        assertTrue(r.json().getJsonObject("cost").getJsonArray("designs").getJsonObject(0).getDouble("usd") > 0, "the pool's own cost is still there");
    }

    @Test
    void aMeasuredRestoreIsReportedAndPricesScaleToZero() {
        WorkloadReport r = report(2000);
        assertEquals(2000.0, r.json().getJsonObject("memory").getDouble("restore_ms"));
        JsonObject scaleToZero = r.json().getJsonObject("cost").getJsonArray("designs").getJsonObject(3);
        assertFalse(scaleToZero.containsKey("not_computed"), scaleToZero.encode());
        // t0 restores at 0 (2 s + 30 s up, the call at 3 s within it: 3 s more), t1 at 1.5 s: 67 s of 5 GiB at $0.005
        assertEquals(67.0 / 3600 * 5 * 0.005, scaleToZero.getDouble("usd"), 1e-12);
        assertEquals(2, scaleToZero.getLong("cold_starts"));
        assertTrue(r.markdown().contains("restore time (2000 ms)"), r.markdown());
        assertFalse(r.markdown().contains("not computed"), r.markdown());
    }
}
