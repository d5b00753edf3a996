package io.lorafn.storage.peft;

import io.lorafn.kernels.WeightMatrix;
import io.lorafn.storage.hf.Projection;

/**
 * One adapted projection: {@code y += scale · B·(A·x)} with A {@code rank × in} and B {@code out × rank}.
 * {@code bTransposed} ({@code rank × out}, B's format) is the compute-ready form: the expand becomes
 * {@code rank} contiguous row updates instead of {@code out} dot products of length {@code rank}.
 */
public record LoraModule(int layer, Projection projection, int rank, float scale, WeightMatrix a, WeightMatrix b,
                         WeightMatrix bTransposed) {
}
