package io.lorafn.worker.engine;

import io.lorafn.kernels.cpu.Attention;
import io.lorafn.worker.WorkerException;
import java.util.Arrays;

/**
 * One sequence's view of a {@link KvBlockPool}: a block table mapping positions to pool blocks.
 * Growing takes whole blocks or fails cleanly with {@code KV_CACHE_FULL}, leaving the cache as it was.
 */
public final class KvCache {
    private final KvBlockPool pool;
    private int[] blockTable = new int[4];
    private int blocks;
    private int length;

    KvCache(KvBlockPool pool) {
        this.pool = pool;
    }

    /** Blocks to take from the pool before {@code positions} positions fit. */
    public int blocksNeeded(int positions) {
        return Math.max(0, pool.blocksFor(positions) - blocks);
    }

    public void ensureCapacity(int positions) {
        int need = blocksNeeded(positions);
        if (need == 0) {
            return;
        }
        int[] fresh = pool.allocate(need);
        if (fresh == null) {
            throw new WorkerException("KV_CACHE_FULL", "the KV cache has " + pool.freeBlocks() + " free blocks; "
                    + need + " more are needed for " + positions + " positions");
        }
        if (blocks + need > blockTable.length) {
            blockTable = Arrays.copyOf(blockTable, Math.max(blocks + need, blockTable.length * 2));
        }
        System.arraycopy(fresh, 0, blockTable, blocks, need);
        blocks += need;
    }

    void store(int layer, int position, float[] k, float[] v) {
        int bp = pool.blockPositions();
        int block = blockTable[position / bp];
        Attention.storeKeys(pool.keys(layer)[block], position % bp, k, pool.kvDim(), bp);
        System.arraycopy(v, 0, pool.values(layer)[block], (position % bp) * pool.kvDim(), pool.kvDim());
    }

    float[][] keys(int layer) {
        return pool.keys(layer);
    }

    float[][] values(int layer) {
        return pool.values(layer);
    }

    int[] blockTable() {
        return blockTable;
    }

    int blockPositions() {
        return pool.blockPositions();
    }

    /** Positions filled so far: the next token goes at this position. */
    public int length() {
        return length;
    }

    void advanceTo(int positions) {
        length = Math.max(length, positions);
    }

    /** Gives every block back to the pool; the sequence can be recomputed later from its tokens. */
    public void release() {
        pool.release(blockTable, blocks);
        blocks = 0;
        length = 0;
    }
}
