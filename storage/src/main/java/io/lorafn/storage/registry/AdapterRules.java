package io.lorafn.storage.registry;

/**
 * Limits a pushed adapter must meet.
 *
 * @param maxRank      the largest rank accepted (rank_pattern entries included)
 * @param maxFileBytes the largest adapter file accepted; bounds memory and fetch time per call
 */
public record AdapterRules(int maxRank, long maxFileBytes) {
    public static final AdapterRules DEFAULT = new AdapterRules(64, 1L << 30);

    public AdapterRules {
        if (maxRank < 1 || maxFileBytes < 1) {
            throw new IllegalArgumentException("maxRank and maxFileBytes must be positive");
        }
    }
}
