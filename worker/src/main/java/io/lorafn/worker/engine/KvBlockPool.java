package io.lorafn.worker.engine;

import java.util.ArrayDeque;

/**
 * Fixed-size blocks of KV cache, from a byte budget set once (vLLM's PagedAttention layout). A block
 * holds {@code blockPositions} consecutive positions of one sequence, for every layer. Sequences take
 * blocks as they grow and give them all back when they finish or are preempted, so memory never
 * fragments and a full pool is a scheduling decision, never corruption. A block's arrays are allocated
 * the first time it is handed out and kept for reuse: a worker's memory grows with the positions it has
 * actually held, not with its budget, which matters when several workers share a node.
 */
public final class KvBlockPool {
    private final int layers;
    private final int kvDim;
    private final int blockPositions;
    private final int totalBlocks;
    private final float[][][] keys; // [layer][block][position in block × kvDim]; a block's arrays exist once it was used
    private final float[][][] values;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();

    public KvBlockPool(int layers, int kvDim, int blockPositions, long budgetBytes) {
        long perBlock = bytesPerBlock(layers, kvDim, blockPositions);
        long blocks = budgetBytes / perBlock;
        if (blocks < 1) {
            throw new IllegalArgumentException("a KV budget of " + budgetBytes + " bytes holds no block of " + perBlock + " bytes");
        }
        long perLayerFloats = blocks * blockPositions * kvDim;
        if (perLayerFloats > Integer.MAX_VALUE - 16) {
            blocks = (Integer.MAX_VALUE - 16) / ((long) blockPositions * kvDim);
        }
        this.layers = layers;
        this.kvDim = kvDim;
        this.blockPositions = blockPositions;
        this.totalBlocks = (int) blocks;
        this.keys = new float[layers][totalBlocks][];
        this.values = new float[layers][totalBlocks][];
        for (int b = 0; b < totalBlocks; b++) {
            free.add(b);
        }
    }

    public static long bytesPerBlock(int layers, int kvDim, int blockPositions) {
        return 2L * layers * blockPositions * kvDim * Float.BYTES;
    }

    public KvCache newSequence() {
        return new KvCache(this);
    }

    public synchronized int freeBlocks() {
        return free.size();
    }

    public int totalBlocks() {
        return totalBlocks;
    }

    public int blockPositions() {
        return blockPositions;
    }

    public int blocksFor(int positions) {
        return (positions + blockPositions - 1) / blockPositions;
    }

    int kvDim() {
        return kvDim;
    }

    int layers() {
        return layers;
    }

    /** The layer's key blocks, indexed by block number; blocks never handed out are null. */
    float[][] keys(int layer) {
        return keys[layer];
    }

    float[][] values(int layer) {
        return values[layer];
    }

    /** Takes {@code n} blocks, or none if fewer are free. */
    synchronized int[] allocate(int n) {
        if (n > free.size()) {
            return null;
        }
        int[] blocks = new int[n];
        for (int i = 0; i < n; i++) {
            blocks[i] = free.poll();
            if (keys[0][blocks[i]] == null) {
                for (int l = 0; l < layers; l++) {
                    keys[l][blocks[i]] = new float[blockPositions * kvDim];
                    values[l][blocks[i]] = new float[blockPositions * kvDim];
                }
            }
        }
        return blocks;
    }

    synchronized void release(int[] blocks, int count) {
        for (int i = 0; i < count; i++) {
            free.add(blocks[i]);
        }
    }
}
