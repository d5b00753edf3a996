package io.lorafn.kernels;

/**
 * One adapter's share of a batched LoRA step (a segment in Punica's SGMV): the batch rows that use this
 * adapter, its A ({@code rank × in}), its B stored transposed ({@code rank × out}) and its scale. Rows of
 * different segments are disjoint, since each row of a batch has at most one adapter.
 */
public record LoraSegment(WeightMatrix a, WeightMatrix bTransposed, float scale, int[] rows) {
    public LoraSegment {
        if (a.rows() != bTransposed.rows()) {
            throw new IllegalArgumentException("A has rank " + a.rows() + ", B has rank " + bTransposed.rows());
        }
        if (rows.length == 0) {
            throw new IllegalArgumentException("a LoRA segment needs at least one row");
        }
    }
}
