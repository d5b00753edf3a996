package io.lorafn.invoker.auth;

import io.lorafn.invoker.limits.RateLimit;

/** A tenant as the registry holds it; the API key itself is never stored, only its sha256. */
public record Tenant(String id, Tier tier, RateLimit rate) {
    /** Service tiers: their weight is the tenant's share of worker slots under contention. */
    public enum Tier {
        GOLD(4), SILVER(2), FREE(1);

        private final double weight;

        Tier(double weight) {
            this.weight = weight;
        }

        public double weight() {
            return weight;
        }

        public static Tier parse(String s) {
            try {
                return valueOf(s.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("tier must be gold, silver or free, not '" + s + "'");
            }
        }
    }
}
