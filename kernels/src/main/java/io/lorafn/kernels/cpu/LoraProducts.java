package io.lorafn.kernels.cpu;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;

/**
 * One LoRA segment's shrink ({@code u = A·x}) and expand ({@code y += scale · Bᵀ·u}) for its rows, in C where the library
 * takes the matrices, else through the Vector API: the same bits either way.
 */
final class LoraProducts {
    /** The backend's product of rows {@code from..to} of {@code w}, on the calling thread (the Java shrink). */
    interface RowProduct {
        void multiply(WeightMatrix w, float[][] x, float[][] out, int batch, int from, int to);
    }

    /** Null: the Vector API computes every product. */
    private final NativeProducts products;
    private final RowProduct rowProduct;
    /** Per thread: expansions, one row per sequence of a segment. */
    private final ThreadLocal<float[][]> expansion = ThreadLocal.withInitial(() -> new float[0][0]);

    LoraProducts(NativeProducts products, RowProduct rowProduct) {
        this.products = products;
        this.rowProduct = rowProduct;
    }

    /** Shrink, then expand into all of y's outputs for the segment's rows. */
    void apply(LoraSegment s, float[][] x, float[][] y) {
        float[][] shrunk = shrink(s, x);
        int[] rows = s.rows();
        if (products != null && NativeProducts.expandsLora(s.bTransposed())) { // each output summed over the rank in registers
            for (int i = 0; i < rows.length; i++) {
                products.loraExpandAdd(s.bTransposed(), shrunk[i], s.scale(), y[rows[i]]);
            }
            return;
        }
        int out = s.bTransposed().cols();
        float[][] expanded = expansionScratch(rows.length, out);
        expand(s.bTransposed(), shrunk, expanded, rows.length);
        for (int i = 0; i < rows.length; i++) {
            VectorMath.addScaled(y[rows[i]], expanded[i], s.scale(), out);
        }
    }

    /**
     * {@code A·x[r]} for each of the segment's rows r, one row of the result each. In C the F32 shrink keeps eight of A's
     * rows in flight, and a BF16 A goes through the BF16 product.
     */
    float[][] shrink(LoraSegment s, float[][] x) {
        int[] rows = s.rows();
        int rank = s.a().rows();
        float[][] shrunk = new float[rows.length][rank];
        if (products != null && NativeProducts.shrinksLora(s.a())) {
            for (int i = 0; i < rows.length; i++) {
                products.loraShrink(s.a(), x[rows[i]], shrunk[i]);
            }
            return shrunk;
        }
        float[][] xs = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            xs[i] = x[rows[i]];
        }
        rowProduct.multiply(s.a(), xs, shrunk, rows.length, 0, rank); // already on a gang thread: no nested hand-off
        return shrunk;
    }

    /**
     * This thread's buffers for {@code rows} expanded rows of {@code out} floats: a batch of 8 distinct adapters
     * allocated (and zeroed twice) about 10 MB of them a step on the 1b preset.
     */
    private float[][] expansionScratch(int rows, int out) {
        float[][] e = expansion.get();
        if (e.length < rows || e[0].length < out) {
            e = new float[Math.max(rows, e.length)][Math.max(out, e.length == 0 ? 0 : e[0].length)];
            expansion.set(e);
        }
        return e;
    }

    /** {@code out[b][o] = Σ_k u[b][k] · t[k][o]}, k ascending: the product with B stored transposed. */
    private static void expand(WeightMatrix t, float[][] u, float[][] out, int batch) {
        int n = t.cols();
        for (int b = 0; b < batch; b++) {
            java.util.Arrays.fill(out[b], 0, n, 0f);
        }
        if (t.format() == WeightFormat.F32) { // straight from the slab: the copy into a row cost a pass per row
            for (int r = 0; r < t.rows(); r++) {
                for (int b = 0; b < batch; b++) {
                    VectorMath.addScaled(out[b], t.data(), t.rowOffset(r), u[b][r], n);
                }
            }
            return;
        }
        float[] row = new float[n];
        RowKernel k = CpuBackend.kernel(t.format());
        for (int r = 0; r < t.rows(); r++) {
            k.dequantize(t.data(), t.rowOffset(r), row, n);
            for (int b = 0; b < batch; b++) {
                VectorMath.addScaled(out[b], row, u[b][r], n);
            }
        }
    }
}
