package io.lorafn.invoker.billing;

import java.math.BigDecimal;

/** Prices, from configuration: per 1K prompt tokens, per 1K completion tokens, per compute-second. */
public record PriceSheet(BigDecimal per1kPromptTokens, BigDecimal per1kCompletionTokens, BigDecimal perComputeSecond) {
    /**
     * Exact, never rounded: cost is then linear, so the price of a day's summed counters equals the sum
     * of the prices of its calls, and rows add up to the total to the last digit.
     */
    public BigDecimal cost(long promptTokens, long completionTokens, long computeMs) {
        BigDecimal thousand = BigDecimal.valueOf(1000);
        return per1kPromptTokens.multiply(BigDecimal.valueOf(promptTokens))
                .add(per1kCompletionTokens.multiply(BigDecimal.valueOf(completionTokens)))
                .add(perComputeSecond.multiply(BigDecimal.valueOf(computeMs)))
                .divide(thousand);
    }
}
