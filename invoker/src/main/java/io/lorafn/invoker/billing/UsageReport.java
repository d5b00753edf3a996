package io.lorafn.invoker.billing;

import java.math.BigDecimal;
import java.util.List;

/** {@code {"rows": [...], "total": {...}}}; the total is the exact sum of the rows. */
public record UsageReport(List<UsageRow> rows, UsageRow total) {
    static UsageReport of(List<UsageRow> rows) {
        UsageRow total = new UsageRow(null, null, null, 0, 0, 0, 0, 0, BigDecimal.ZERO);
        for (UsageRow r : rows) {
            total = total.plus(r);
        }
        return new UsageReport(List.copyOf(rows), total);
    }

    /** The same columns as the JSON, a header line, then one line per row and the total. */
    public String toCsv() {
        StringBuilder out = new StringBuilder("tenant,function,day,requests,prompt_tokens,completion_tokens,compute_ms,cold_starts,cost\n");
        for (UsageRow r : rows) {
            line(out, r.tenant(), r.function(), r.day(), r);
        }
        line(out, "total", "", "", total);
        return out.toString();
    }

    private static void line(StringBuilder out, String tenant, String function, String day, UsageRow r) {
        out.append(tenant).append(',').append(function).append(',').append(day).append(',').append(r.requests()).append(',')
                .append(r.promptTokens()).append(',').append(r.completionTokens()).append(',').append(r.computeMs()).append(',')
                .append(r.coldStarts()).append(',').append(r.cost().signum() == 0 ? "0" : r.cost().stripTrailingZeros().toPlainString()).append('\n');
    }
}
