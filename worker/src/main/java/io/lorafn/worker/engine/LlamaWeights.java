package io.lorafn.worker.engine;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.Tensor;
import java.lang.foreign.Arena;

/**
 * The base model's weights as kernel views. F32 and BF16 tensors are used where they are mapped; F16
 * has no kernel yet and is widened exactly to F32 off-heap. Norm vectors are small and copied to heap.
 */
public final class LlamaWeights implements AutoCloseable {
    public record Layer(float[] attentionNorm, float[] ffnNorm, WeightMatrix[] projections) {
        public WeightMatrix projection(Projection p) {
            return projections[p.ordinal()];
        }
    }

    private final ModelConfig config;
    private final WeightMatrix embedding;
    private final WeightMatrix head;
    private final float[] finalNorm;
    private final Layer[] layers;
    private final Arena widened;

    private LlamaWeights(ModelConfig config, WeightMatrix embedding, WeightMatrix head, float[] finalNorm, Layer[] layers,
                         Arena widened) {
        this.config = config;
        this.embedding = embedding;
        this.head = head;
        this.finalNorm = finalNorm;
        this.layers = layers;
        this.widened = widened;
    }

    /** Views over an opened model directory; the directory must stay open while these are used. */
    public static LlamaWeights from(ModelDirectory dir) {
        ModelConfig c = dir.config();
        Arena widened = Arena.ofShared();
        WeightMatrix embedding = matrix(dir.tensor("model.embed_tokens.weight"), widened);
        WeightMatrix head = c.tieWordEmbeddings() ? embedding : matrix(dir.tensor("lm_head.weight"), widened);
        Layer[] layers = new Layer[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            WeightMatrix[] proj = new WeightMatrix[Projection.values().length];
            for (Projection p : Projection.values()) {
                proj[p.ordinal()] = matrix(dir.tensor(p.weightName(l)), widened);
            }
            layers[l] = new Layer(dir.tensor("model.layers." + l + ".input_layernorm.weight").toFloats(),
                    dir.tensor("model.layers." + l + ".post_attention_layernorm.weight").toFloats(), proj);
        }
        return new LlamaWeights(c, embedding, head, dir.tensor("model.norm.weight").toFloats(), layers, widened);
    }

    private static WeightMatrix matrix(Tensor t, Arena widened) {
        int rows = t.dim(0), cols = t.dim(1);
        return switch (t.dtype()) {
            case F32 -> new WeightMatrix(t.name(), WeightFormat.F32, t.data(), rows, cols);
            case BF16 -> new WeightMatrix(t.name(), WeightFormat.BF16, t.data(), rows, cols);
            case F16 -> new WeightMatrix(t.name(), WeightFormat.F32, LoraAdapter.widen(t, widened), rows, cols);
            default -> throw new IllegalStateException(t.name() + ": dtype " + t.dtype() + " passed validation");
        };
    }

    public ModelConfig config() {
        return config;
    }

    public WeightMatrix embedding() {
        return embedding;
    }

    public WeightMatrix head() {
        return head;
    }

    public float[] finalNorm() {
        return finalNorm;
    }

    public Layer layer(int l) {
        return layers[l];
    }

    /** Bytes of weights one decode step reads: every projection and the head (the embedding is one row). */
    public long bytesPerToken() {
        long n = head.byteSize();
        for (Layer layer : layers) {
            for (WeightMatrix m : layer.projections()) {
                n += m.byteSize();
            }
        }
        return n;
    }

    @Override
    public void close() {
        widened.close();
    }
}
