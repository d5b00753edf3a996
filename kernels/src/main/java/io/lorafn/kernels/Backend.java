package io.lorafn.kernels;

/**
 * The products the engine runs per step. Implementations read each weight row once for all rows of
 * the batch, and compute every output with a fixed summation order, so that batching never changes a
 * sequence's result.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** Threads the backend computes with. */
    int threads();

    /** {@code out[b][r] = dot(w row r, x[b])} for {@code b < batch}, {@code r < w.rows()}. */
    void matmul(WeightMatrix w, float[][] x, float[][] out, int batch);

    /**
     * {@code out[b][o] = Σ_k u[b][k] · t[k][o]}, k ascending: the product with a matrix stored
     * transposed. LoRA's expand uses it with B stored {@code rank × out}, which turns {@code out} dot
     * products of length {@code rank} into {@code rank} contiguous row updates.
     */
    void transposedProduct(WeightMatrix t, float[][] u, float[][] out, int batch);

    /** Decodes one row (an embedding lookup). */
    void dequantizeRow(WeightMatrix w, int row, float[] out);

    @Override
    void close();
}
