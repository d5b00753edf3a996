package io.lorafn.kernels.cpu;

import java.lang.foreign.MemorySegment;

/**
 * The per-format inner loops. Every format sums a row the same way: vector i of the decoded row
 * (8 floats) goes into accumulator i mod 4, and the four are combined as (a0 + a1) + (a2 + a3), then
 * the lanes in order. So a fused dot here and {@link DenseDot} over the decoded row give the same bits,
 * and a sequence's result never depends on the batch it is in or on the thread split. Q4_0 is the exception:
 * its rows are tiled for products that compute 16 rows at once, and {@link Q4Kernel#dot} defines its own
 * order, which every Q4_0 path follows (its batched products call the dot, not DenseDot).
 *
 * <p>A helper that returns a vector must be called from one kernel method only. Called from two (say,
 * {@code dot} and {@code dequantize}), it can get hot and be compiled on its own before either caller;
 * C2 then refuses to inline the compiled helper ("callee is too large"), its vectors are boxed on every
 * call, and the kernel runs several times slower. Measured: BF16 decode fell from 9.6 to 6.8 tokens/s.
 */
interface RowKernel {
    /** dot(row at {@code offset} in {@code w}, x[0..n)). */
    float dot(MemorySegment w, long offset, float[] x, int n);

    /** Decodes the row at {@code offset} into out[0..n). */
    void dequantize(MemorySegment w, long offset, float[] out, int n);

    /** Encodes row[0..n) into the format at {@code offset}. */
    void quantize(float[] row, MemorySegment w, long offset, int n);
}
