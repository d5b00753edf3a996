package io.lorafn.bench.workload;

/** The pool at one moment of a run: workers alive (any state), restoring, and busy (a call in flight). */
public record PoolSample(long atMs, int alive, int restoring, int busy) {
}
