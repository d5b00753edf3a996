package io.lorafn.worker.adapters;

import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRef;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compute-ready adapters under a byte budget, least recently used first out. Not W-TinyLFU: an adapter
 * enters this tier because a call needs it now, so it must always be admitted (a frequency filter
 * rejected the newcomer in favour of an idle adapter and made calls retry). Frequency is the warm tier's
 * job. Leaving the tier only frees an adapter that no call holds ({@link HotAdapter}).
 */
final class HotTier {
    private final long budget;
    private final LinkedHashMap<AdapterRef, HotAdapter> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    HotTier(long budget) {
        this.budget = budget;
    }

    synchronized HotAdapter get(AdapterRef ref) {
        return entries.get(ref);
    }

    /** Admits {@code h}, evicting the least recently used others until the tier fits its budget. */
    synchronized void put(HotAdapter h) {
        HotAdapter old = entries.put(h.ref(), h);
        bytes += h.weight();
        List<HotAdapter> out = new ArrayList<>();
        if (old != null && old != h) {
            bytes -= old.weight();
            out.add(old);
        }
        for (Iterator<HotAdapter> it = entries.values().iterator(); bytes > budget && it.hasNext(); ) {
            HotAdapter victim = it.next();
            if (victim != h) {
                it.remove();
                bytes -= victim.weight();
                out.add(victim);
            }
        }
        out.forEach(HotAdapter::evict);
    }

    synchronized void remove(AdapterRef ref) {
        HotAdapter h = entries.remove(ref);
        if (h != null) {
            bytes -= h.weight();
            h.evict();
        }
    }

    synchronized void removeAll(AdapterName adapter) {
        List<AdapterRef> refs = entries.keySet().stream().filter(r -> r.adapter().equals(adapter)).toList();
        refs.forEach(this::remove);
    }

    synchronized void clear() {
        List<AdapterRef> refs = List.copyOf(entries.keySet());
        refs.forEach(this::remove);
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized Set<AdapterRef> keys() {
        return Set.copyOf(entries.keySet());
    }

    synchronized Map<AdapterRef, HotAdapter> snapshot() {
        return Map.copyOf(entries);
    }
}
