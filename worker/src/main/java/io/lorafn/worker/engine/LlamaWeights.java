package io.lorafn.worker.engine;

import io.lorafn.kernels.WeightMatrix;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.worker.WorkerException;
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

    /** Where the matrices and vectors come from: a model directory's safetensors, or a resident image. */
    private interface Source {
        WeightMatrix matrix(String name);

        float[] vector(String name);
    }

    /** Views over an opened model directory; the directory must stay open while these are used. */
    public static LlamaWeights from(ModelDirectory dir) {
        Arena widened = Arena.ofShared();
        return build(dir.config(), new Source() {
            @Override
            public WeightMatrix matrix(String name) {
                return dir.tensor(name).asMatrix(widened);
            }

            @Override
            public float[] vector(String name) {
                return dir.tensor(name).toFloats();
            }
        }, widened);
    }

    /** Views over a mapped resident image: no weight is read or converted here. */
    public static LlamaWeights from(ResidentImage image) {
        return build(image.config(), new Source() {
            @Override
            public WeightMatrix matrix(String name) {
                return image.matrix(name);
            }

            @Override
            public float[] vector(String name) {
                return image.vector(name);
            }
        }, Arena.ofShared());
    }

    private static LlamaWeights build(ModelConfig c, Source source, Arena widened) {
        WeightMatrix embedding = checked(source.matrix("model.embed_tokens.weight"), c.vocabSize(), c.hiddenSize());
        WeightMatrix head = c.tieWordEmbeddings() ? embedding : checked(source.matrix("lm_head.weight"), c.vocabSize(), c.hiddenSize());
        Layer[] layers = new Layer[c.numHiddenLayers()];
        for (int l = 0; l < layers.length; l++) {
            WeightMatrix[] proj = new WeightMatrix[Projection.values().length];
            for (Projection p : Projection.values()) {
                proj[p.ordinal()] = checked(source.matrix(p.weightName(l)), p.outFeatures(c), p.inFeatures(c));
            }
            layers[l] = new Layer(source.vector("model.layers." + l + ".input_layernorm.weight"),
                    source.vector("model.layers." + l + ".post_attention_layernorm.weight"), proj);
        }
        return new LlamaWeights(c, embedding, head, source.vector("model.norm.weight"), layers, widened);
    }

    private static WeightMatrix checked(WeightMatrix m, int rows, int cols) {
        if (m.rows() != rows || m.cols() != cols) {
            throw new WorkerException("WEIGHTS_SHAPE_MISMATCH", m.name() + " is " + m.rows() + "x" + m.cols()
                    + " but the config implies " + rows + "x" + cols);
        }
        return m;
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
