package io.lorafn.pool.contract;

/** Where one call's time went, in milliseconds (DESIGN.md's answer and activation record). */
public record Timings(long queueMs, long restoreMs, long adapterLoadMs, long ttftMs, long totalMs) {
}
