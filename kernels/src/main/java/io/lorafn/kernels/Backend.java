package io.lorafn.kernels;

import java.util.List;

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
     * {@link #matmul} of several matrices with the same input (q, k and v; gate and up): the same results,
     * in one hand-off to the backend's threads instead of one per matrix.
     */
    default void matmulEach(List<WeightMatrix> ws, float[][] x, List<float[][]> outs, int batch) {
        for (int i = 0; i < ws.size(); i++) {
            matmul(ws.get(i), x, outs.get(i), batch);
        }
    }

    /**
     * Batched LoRA across different adapters (SGMV): for each segment, {@code y[r] += scale · B·(A·x[r])}
     * for its rows r, shrink then expand. Ranks may differ between segments; rows in no segment are not
     * touched. A row's result is the same whichever other segments run beside it. B comes transposed
     * ({@code rank × out}), so the expand is {@code rank} contiguous row updates rather than {@code out}
     * dot products of length {@code rank}.
     */
    void addLora(List<LoraSegment> segments, float[][] x, float[][] y);

    /**
     * {@link #addLora} for several outputs of the same input ({@code segments.get(i)} into {@code ys.get(i)}: q, k
     * and v; gate and up): the same results, in one hand-off to the backend's threads instead of one per output.
     */
    default void addLoraEach(List<List<LoraSegment>> segments, float[][] x, List<float[][]> ys) {
        for (int i = 0; i < segments.size(); i++) {
            addLora(segments.get(i), x, ys.get(i));
        }
    }

    /**
     * A layer's projections of one input, with their adapters: {@code outs.get(i) = ws.get(i)·x}, then
     * {@code lora.get(i)}'s segments added into it ({@code lora} empty, or one list a matrix, any of them empty). The
     * same results as {@link #matmulEach} (or {@link #matmul} for one matrix) then {@link #addLoraEach}, which is how it
     * runs unless a backend can do better: CUDA keeps the products' results on the device for the adapters, so each
     * group of projections costs one round trip to the device instead of one per matrix and two more per adapted output.
     */
    default void projectEach(List<WeightMatrix> ws, List<List<LoraSegment>> lora, float[][] x, List<float[][]> outs, int batch) {
        if (ws.size() == 1) {
            matmul(ws.get(0), x, outs.get(0), batch);
        } else {
            matmulEach(ws, x, outs, batch);
        }
        if (lora.stream().anyMatch(segments -> !segments.isEmpty())) {
            addLoraEach(lora, x, outs);
        }
    }

    /**
     * Runs {@code task} for 0 .. tasks-1, independent of one another (attention heads), on the backend's CPU
     * threads where it has several; returns when all are done.
     */
    default void forEach(int tasks, java.util.function.IntConsumer task) {
        for (int i = 0; i < tasks; i++) {
            task.accept(i);
        }
    }

    /** Decodes one row (an embedding lookup). */
    void dequantizeRow(WeightMatrix w, int row, float[] out);

    @Override
    void close();
}
