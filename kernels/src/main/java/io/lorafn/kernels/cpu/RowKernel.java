package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The per-format inner loops. A row's dot product is always summed in the same order, whatever the
 * batch size or thread split, so a sequence's result never depends on what it is batched with.
 */
interface RowKernel {
    /** dot(row at {@code offset} in {@code w}, x[0..n)). */
    float dot(MemorySegment w, long offset, float[] x, int n);

    /** Decodes the row at {@code offset} into out[0..n). */
    void dequantize(MemorySegment w, long offset, float[] out, int n);
}
