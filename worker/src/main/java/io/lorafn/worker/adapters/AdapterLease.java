package io.lorafn.worker.adapters;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.registry.AdapterRef;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A compute-ready adapter held for the duration of one call. Close it when the call's sequence ends;
 * until then eviction and erasure cannot free the adapter under it.
 */
public final class AdapterLease implements AutoCloseable {
    private final HotAdapter hot;
    private final AdapterTier servedFrom;
    private final long loadNanos;
    private final AtomicBoolean released = new AtomicBoolean();

    AdapterLease(HotAdapter hot, AdapterTier servedFrom, long loadNanos) {
        this.hot = hot;
        this.servedFrom = servedFrom;
        this.loadNanos = loadNanos;
    }

    public AdapterRef ref() {
        return hot.ref();
    }

    public LoraAdapter adapter() {
        return hot.adapter();
    }

    /** The tier the adapter was in when the call asked for it. */
    public AdapterTier servedFrom() {
        return servedFrom;
    }

    /** From the request to the adapter being hot; 0 for a hot hit. */
    public long loadNanos() {
        return loadNanos;
    }

    @Override
    public void close() {
        if (released.compareAndSet(false, true)) {
            hot.release();
        }
    }
}
