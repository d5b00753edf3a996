package io.lorafn.worker.adapters;

/**
 * Where an adapter is. HOT: compute-ready in this worker (validated, B transposed). WARM: its raw bytes
 * in this worker's RAM. COLD: only in the object store.
 */
public enum AdapterTier {
    HOT, WARM, COLD;

    public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
