package io.lorafn.worker.adapters;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.registry.AdapterRef;

/**
 * A compute-ready adapter and the leases on it. Leaving the hot tier does not free it while a running
 * sequence still computes with it: it is closed when it has left the tier and the last lease is returned.
 */
final class HotAdapter {
    private final AdapterRef ref;
    private final LoraAdapter adapter;
    private final int weight;
    private int leases;
    private boolean evicted;
    private boolean closed;

    HotAdapter(AdapterRef ref, LoraAdapter adapter) {
        this.ref = ref;
        this.adapter = adapter;
        this.weight = (int) Math.min(Integer.MAX_VALUE, adapter.residentBytes());
    }

    AdapterRef ref() {
        return ref;
    }

    LoraAdapter adapter() {
        return adapter;
    }

    int weight() {
        return weight;
    }

    /** False once closed: the caller must load the adapter again. */
    synchronized boolean retain() {
        if (closed) {
            return false;
        }
        leases++;
        return true;
    }

    synchronized void release() {
        if (--leases == 0 && evicted) {
            close();
        }
    }

    synchronized void evict() {
        evicted = true;
        if (leases == 0) {
            close();
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    private void close() {
        if (!closed) {
            closed = true;
            adapter.close();
        }
    }
}
