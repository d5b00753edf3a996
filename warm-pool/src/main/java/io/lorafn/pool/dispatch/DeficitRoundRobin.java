package io.lorafn.pool.dispatch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deficit round robin across tenants' queues (Shreedhar and Varghese), one call = one unit. Each round,
 * a backlogged tenant earns {@code quantum × weight} and spends one per call taken, so over time each
 * tenant gets a share of the worker slots proportional to its tier's weight, and no backlogged tenant
 * waits more than one round however busy the others are. Deficits carry across {@link #plan} calls;
 * a tenant whose queue empties loses its deficit, as in the original algorithm. Not thread-safe: the
 * pool manager runs one dispatcher.
 */
public final class DeficitRoundRobin {
    private final double quantum;
    private final Map<String, Double> deficit = new LinkedHashMap<>(); // round order = insertion order

    public DeficitRoundRobin(double quantum) {
        if (!(quantum > 0)) {
            throw new IllegalArgumentException("quantum must be > 0");
        }
        this.quantum = quantum;
    }

    /**
     * Which tenants to take the next {@code slots} calls from, in order.
     *
     * @param depths  calls waiting per tenant
     * @param weights tier weight per tenant (missing: 1)
     */
    public List<String> plan(Map<String, Integer> depths, Map<String, Double> weights, int slots) {
        Map<String, Integer> left = new HashMap<>(depths);
        for (String t : depths.keySet()) {
            if (depths.get(t) > 0) {
                deficit.putIfAbsent(t, 0.0);
            }
        }
        List<String> picks = new ArrayList<>();
        while (picks.size() < slots && left.values().stream().anyMatch(n -> n > 0)) {
            for (Iterator<Map.Entry<String, Double>> it = deficit.entrySet().iterator(); it.hasNext() && picks.size() < slots; ) {
                Map.Entry<String, Double> e = it.next();
                int waiting = left.getOrDefault(e.getKey(), 0);
                if (waiting == 0) {
                    it.remove(); // an idle tenant keeps no credit
                    continue;
                }
                double d = e.getValue() + quantum * weights.getOrDefault(e.getKey(), 1.0);
                while (d >= 1 && waiting > 0 && picks.size() < slots) {
                    picks.add(e.getKey());
                    d -= 1;
                    waiting--;
                }
                left.put(e.getKey(), waiting);
                e.setValue(waiting == 0 ? 0.0 : d);
            }
        }
        return picks;
    }
}
