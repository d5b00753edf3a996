package io.lorafn.invoker.billing;

import java.math.BigDecimal;

/** One line of a billing report: a tenant's function on one UTC day (or, as the total, everything). */
public record UsageRow(String tenant, String function, String day, long requests, long promptTokens, long completionTokens,
                       long computeMs, long coldStarts, BigDecimal cost) {
    UsageRow plus(UsageRow o) {
        return new UsageRow(tenant, function, day, requests + o.requests, promptTokens + o.promptTokens,
                completionTokens + o.completionTokens, computeMs + o.computeMs, coldStarts + o.coldStarts, cost.add(o.cost));
    }
}
