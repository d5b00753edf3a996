package io.lorafn.kernels.cpu;

import io.lorafn.kernels.Backend;
import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Vector API backend. A product is split by output rows over a fixed gang of threads (one per core by
 * default, see {@link KernelThreads}); the caller's thread takes the first slice so a 1-thread backend
 * never hands off.
 */
public final class CpuBackend implements Backend {
    /** Below this many weight bytes a product is not worth a hand-off to the helper threads. */
    private static final long PARALLEL_THRESHOLD_BYTES = 512 * 1024;

    private final int threads;
    private final KernelThreads gang;

    public CpuBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.gang = threads == 1 ? null : new KernelThreads(threads - 1);
    }

    public static CpuBackend withDefaultThreads() {
        return new CpuBackend(Runtime.getRuntime().availableProcessors());
    }

    static RowKernel kernel(WeightFormat format) {
        return switch (format) {
            case F32 -> F32Kernel.INSTANCE;
            case BF16 -> Bf16Kernel.INSTANCE;
            case Q8_0 -> Q8Kernel.INSTANCE;
            case Q4_0 -> Q4Kernel.INSTANCE;
        };
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int threads() {
        return threads;
    }

    @Override
    public void matmul(WeightMatrix w, float[][] x, float[][] out, int batch) {
        if (gang == null || w.byteSize() < PARALLEL_THRESHOLD_BYTES) {
            matmulRows(w, x, out, batch, 0, w.rows());
            return;
        }
        int slice = (w.rows() + threads - 1) / threads;
        gang.run(part -> {
            int from = part * slice;
            if (from < w.rows()) {
                matmulRows(w, x, out, batch, from, Math.min(w.rows(), from + slice));
            }
        });
    }

    /**
     * One sequence (or F32 weights, which need no decoding): the fused kernel, which decodes in registers
     * (and, for Q8_0, prefetches inside its loop: {@link ReadAhead}). Several: {@link BatchedRows}. Every path sums in the same order,
     * so they give the same bits. Touching whole chunks of rows ahead, as an earlier version did, was slower
     * (F32 on 2 threads: 14 GB/s with it, 27 without; Q8_0: 13.3 with it, 17.2 with {@code ReadAhead}).
     */
    private static void matmulRows(WeightMatrix w, float[][] x, float[][] out, int batch, int from, int to) {
        RowKernel k = kernel(w.format());
        if (batch > 1 && w.format() != WeightFormat.F32) {
            new BatchedRows(k, w).multiply(x, out, batch, from, to);
            return;
        }
        int n = w.cols();
        for (int r = from; r < to; r++) {
            long offset = w.rowOffset(r);
            for (int b = 0; b < batch; b++) {
                out[b][r] = k.dot(w.data(), offset, x[b], n);
            }
        }
    }

    /**
     * Segments are dealt round-robin to the threads; each runs its segments' shrink and expand on one
     * thread. The first version ran each segment's small products one after another on the caller while
     * the other cores idled: batch 8 on 8 distinct adapters spent a fifth of its step there.
     */
    @Override
    public void addLora(List<LoraSegment> segments, float[][] x, float[][] y) {
        if (gang == null || segments.size() < 2) {
            segments.forEach(s -> applySegment(s, x, y));
            return;
        }
        gang.run(part -> {
            for (int i = part; i < segments.size(); i += threads) {
                applySegment(segments.get(i), x, y);
            }
        });
    }

    private static void applySegment(LoraSegment s, float[][] x, float[][] y) {
        int[] rows = s.rows();
        float[][] xs = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            xs[i] = x[rows[i]];
        }
        int rank = s.a().rows(), out = s.bTransposed().cols();
        float[][] shrunk = new float[rows.length][rank];
        float[][] expanded = new float[rows.length][out];
        matmulRows(s.a(), xs, shrunk, rows.length, 0, rank); // already on a gang thread: no nested hand-off
        expand(s.bTransposed(), shrunk, expanded, rows.length);
        for (int i = 0; i < rows.length; i++) {
            VectorMath.addScaled(y[rows[i]], expanded[i], s.scale(), out);
        }
    }

    /** {@code out[b][o] = Σ_k u[b][k] · t[k][o]}, k ascending: the product with B stored transposed. */
    private static void expand(WeightMatrix t, float[][] u, float[][] out, int batch) {
        int n = t.cols();
        for (int b = 0; b < batch; b++) {
            java.util.Arrays.fill(out[b], 0, n, 0f);
        }
        float[] row = new float[n];
        RowKernel k = kernel(t.format());
        for (int r = 0; r < t.rows(); r++) {
            k.dequantize(t.data(), t.rowOffset(r), row, n);
            for (int b = 0; b < batch; b++) {
                VectorMath.addScaled(out[b], row, u[b][r], n);
            }
        }
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] out) {
        decodeRow(w, row, out);
    }

    /** Encodes one row into any format (image building). */
    public static void encodeRow(WeightFormat format, float[] row, MemorySegment dst, long offset) {
        kernel(format).quantize(row, dst, offset, row.length);
    }

    /** Decodes one row of any format; for code outside the hot path that needs plain floats. */
    public static void decodeRow(WeightMatrix w, int row, float[] out) {
        kernel(w.format()).dequantize(w.data(), w.rowOffset(row), out, w.cols());
    }

    @Override
    public void close() {
        if (gang != null) {
            gang.close();
        }
    }
}
