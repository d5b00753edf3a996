package io.lorafn.invoker.http;

import static io.lorafn.invoker.http.HttpSupport.fail;

import io.lorafn.invoker.billing.UsageLedger;
import io.lorafn.invoker.billing.UsageReport;
import io.lorafn.invoker.billing.UsageRow;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.LocalDate;
import java.util.Optional;

/** Usage and billing reports: a tenant's own ({@code /v1/usage}) and everyone's for the operator. */
final class BillingRoutes {
    private final Authenticator auth;
    private final UsageLedger ledger;

    BillingRoutes(Authenticator auth, UsageLedger ledger) {
        this.auth = auth;
        this.ledger = ledger;
    }

    void mount(Router routes) {
        routes.get("/v1/usage").handler(this::usage);
        routes.get("/v1/admin/billing").handler(this::billing);
    }

    /** The caller's own usage; {@code GET /v1/admin/billing} answers the same for every tenant. */
    private void usage(RoutingContext ctx) {
        auth.tenant(ctx).compose(tenant -> report(ctx, Optional.of(tenant.id()))).onFailure(e -> fail(ctx, e));
    }

    private void billing(RoutingContext ctx) {
        if (auth.operator(ctx)) {
            report(ctx, Optional.empty()).onFailure(e -> fail(ctx, e));
        }
    }

    private Future<Void> report(RoutingContext ctx, Optional<String> tenant) {
        LocalDate from, to;
        try {
            from = LocalDate.parse(ctx.request().getParam("from"));
            to = LocalDate.parse(ctx.request().getParam("to"));
        } catch (RuntimeException e) {
            return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "'from' and 'to' must be dates, YYYY-MM-DD"));
        }
        if (to.isBefore(from) || from.plusDays(366).isBefore(to)) {
            return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "the range must be 1 to 366 days, 'from' first"));
        }
        String format = ctx.request().getParam("format", "json");
        if (!format.equals("json") && !format.equals("csv")) {
            return Future.failedFuture(new ApiError(400, "BAD_REQUEST", "format must be json or csv"));
        }
        return ledger.report(from, to, tenant).compose(r -> {
            HttpServerResponse res = ctx.response();
            if (format.equals("csv")) {
                return res.putHeader("content-type", "text/csv").end(r.toCsv());
            }
            return res.putHeader("content-type", "application/json").end(reportJson(r).encode());
        });
    }

    private static JsonObject reportJson(UsageReport r) {
        io.vertx.core.json.JsonArray rows = new io.vertx.core.json.JsonArray();
        r.rows().forEach(row -> rows.add(rowJson(row)));
        return new JsonObject().put("rows", rows).put("total", rowJson(r.total()));
    }

    private static JsonObject rowJson(UsageRow row) {
        JsonObject o = new JsonObject();
        if (row.tenant() != null) {
            o.put("tenant", row.tenant()).put("function", row.function()).put("day", row.day());
        }
        return o.put("requests", row.requests()).put("prompt_tokens", row.promptTokens()).put("completion_tokens", row.completionTokens())
                .put("compute_ms", row.computeMs()).put("cold_starts", row.coldStarts()).put("cost", row.cost().toPlainString());
    }
}
