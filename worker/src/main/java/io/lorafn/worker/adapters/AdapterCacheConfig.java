package io.lorafn.worker.adapters;

/**
 * Byte budgets of the two in-process tiers.
 *
 * @param hotBytes  compute-ready adapters (raw weights, widened copies and B transposed)
 * @param warmBytes raw adapter files kept in RAM, evicted by W-TinyLFU
 * @param loaders   threads that fetch and prepare adapters; bounds the memory of concurrent loads
 */
public record AdapterCacheConfig(long hotBytes, long warmBytes, int loaders) {
    /** 16 rank-16 all-linear adapters of the 1b preset hot, 48 warm. */
    public static final AdapterCacheConfig DEFAULT = new AdapterCacheConfig(1L << 30, 2L << 30, 2);

    public AdapterCacheConfig {
        if (hotBytes < 1 || warmBytes < 0 || loaders < 1) {
            throw new IllegalArgumentException("hot budget and loaders must be positive, warm budget non-negative");
        }
    }
}
