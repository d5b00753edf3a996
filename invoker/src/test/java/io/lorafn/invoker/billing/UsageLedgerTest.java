package io.lorafn.invoker.billing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.pool.RealRedis;
import io.lorafn.pool.contract.UsageEvent;
import io.vertx.core.Future;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Billing against a real redis-server: every activation counted once, reports that add up. */
class UsageLedgerTest extends RealRedis {
    static final PriceSheet PRICES = new PriceSheet(new BigDecimal("0.0005"), new BigDecimal("0.0015"), new BigDecimal("0.00002"));

    @Test
    void theReportEqualsTheSumOfWhatClientsReceivedEvenWhenEventsAreRedelivered() throws Exception {
        UsageLedger ledger = new UsageLedger(redis, PRICES);
        SplittableRandom r = new SplittableRandom(3);
        List<UsageEvent> received = new ArrayList<>();
        String[] tenants = {"acme", "globex", "initech"};
        for (int i = 0; i < 300; i++) {
            String tenant = tenants[i % 3];
            UsageEvent e = new UsageEvent("sum-" + i, tenant, i % 2 == 0 ? "support" : "summarize",
                    i < 150 ? "2026-11-24" : "2026-11-25", r.nextInt(1, 500), r.nextInt(1, 200), r.nextInt(5, 3000), i % 17 == 0);
            received.add(e);
        }
        List<Future<Boolean>> writes = new ArrayList<>();
        for (UsageEvent e : received) {
            writes.add(ledger.record(e));
        }
        for (int i = 0; i < received.size(); i += 7) { // at-least-once delivery: some events arrive twice
            writes.add(ledger.record(received.get(i)));
        }
        await(Future.all(writes));
        long counted = writes.stream().filter(Future::result).count();
        assertEquals(received.size(), counted, "each activation counted once");

        UsageReport all = await(ledger.report(LocalDate.parse("2026-11-24"), LocalDate.parse("2026-11-25"), Optional.empty()));
        assertEquals(received.size(), all.total().requests());
        assertEquals(received.stream().mapToLong(UsageEvent::promptTokens).sum(), all.total().promptTokens());
        assertEquals(received.stream().mapToLong(UsageEvent::completionTokens).sum(), all.total().completionTokens());
        assertEquals(received.stream().mapToLong(UsageEvent::computeMs).sum(), all.total().computeMs());
        assertEquals(received.stream().filter(UsageEvent::coldStart).count(), all.total().coldStarts());
        assertEquals(12, all.rows().size(), "3 tenants x 2 functions x 2 days");
        BigDecimal perCall = received.stream().map(e -> PRICES.cost(e.promptTokens(), e.completionTokens(), e.computeMs()))
                .reduce(BigDecimal.ZERO, BigDecimal::add);
        assertEquals(0, perCall.compareTo(all.total().cost()), "billed = the sum of per-call prices");

        UsageReport acme = await(ledger.report(LocalDate.parse("2026-11-24"), LocalDate.parse("2026-11-25"), Optional.of("acme")));
        assertTrue(acme.rows().stream().allMatch(row -> row.tenant().equals("acme")));
        assertEquals(received.stream().filter(e -> e.tenant().equals("acme")).count(), acme.total().requests());
    }

    @Test
    void csvHasTheJsonsColumnsAndATotalLine() throws Exception {
        UsageLedger ledger = new UsageLedger(redis, PRICES);
        await(ledger.record(new UsageEvent("csv-1", "csvco", "fn", "2026-10-01", 1000, 1000, 1000, true)));
        UsageReport report = await(ledger.report(LocalDate.parse("2026-10-01"), LocalDate.parse("2026-10-01"), Optional.of("csvco")));
        String[] lines = report.toCsv().split("\n");
        assertEquals("tenant,function,day,requests,prompt_tokens,completion_tokens,compute_ms,cold_starts,cost", lines[0]);
        assertEquals("csvco,fn,2026-10-01,1,1000,1000,1000,1,0.00202", lines[1]);
        assertEquals("total,,,1,1000,1000,1000,1,0.00202", lines[2]);
    }

    @Test
    void anEmptyRangeIsAnEmptyReportAndAnInvertedOneIsRefused() throws Exception {
        UsageLedger ledger = new UsageLedger(redis, PRICES);
        UsageReport none = await(ledger.report(LocalDate.parse("2020-01-01"), LocalDate.parse("2020-01-03"), Optional.empty()));
        assertEquals(0, none.rows().size());
        assertEquals(0, none.total().requests());
        assertFalse(ledger.report(LocalDate.parse("2020-01-03"), LocalDate.parse("2020-01-01"), Optional.empty()).succeeded());
    }
}
