package io.lorafn.worker.engine;

import java.util.Arrays;

/**
 * One sequence's keys and values, per layer, position-major. It grows by doubling; positions past
 * {@link #length()} hold nothing meaningful. (The paged, budgeted cache is the scheduler's concern.)
 */
public final class KvCache {
    private final int kvDim;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;
    private int length;

    public KvCache(int layers, int kvDim, int initialCapacity) {
        this.kvDim = kvDim;
        this.capacity = Math.max(1, initialCapacity);
        this.keys = new float[layers][capacity * kvDim];
        this.values = new float[layers][capacity * kvDim];
    }

    void ensureCapacity(int positions) {
        if (positions <= capacity) {
            return;
        }
        int grown = Math.max(positions, capacity * 2);
        for (int l = 0; l < keys.length; l++) {
            keys[l] = Arrays.copyOf(keys[l], grown * kvDim);
            values[l] = Arrays.copyOf(values[l], grown * kvDim);
        }
        capacity = grown;
    }

    void store(int layer, int position, float[] k, float[] v) {
        System.arraycopy(k, 0, keys[layer], position * kvDim, kvDim);
        System.arraycopy(v, 0, values[layer], position * kvDim, kvDim);
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }

    /** Positions filled so far: the next token goes at this position. */
    public int length() {
        return length;
    }

    void advanceTo(int positions) {
        length = Math.max(length, positions);
    }

    /** Forgets positions from {@code positions} on, e.g. to recompute after a preemption. */
    public void truncate(int positions) {
        length = Math.min(length, positions);
    }
}
