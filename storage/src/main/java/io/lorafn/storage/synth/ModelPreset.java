package io.lorafn.storage.synth;

import io.lorafn.storage.hf.RopeScaling;
import java.util.Locale;

/**
 * The shape of a synthetic Llama. {@code 1b} is Llama-3.2-1B's shape (tied head, llama3 RoPE scaling)
 * with a 32000-entry vocabulary; {@code tiny} and {@code small} are for tests.
 */
public record ModelPreset(String name, int hiddenSize, int intermediateSize, int layers, int heads, int kvHeads,
                          int vocabSize, boolean tieWordEmbeddings, double ropeTheta, RopeScaling ropeScaling,
                          int maxPositions, double rmsNormEps) {

    public static ModelPreset named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "tiny" -> new ModelPreset("tiny", 64, 160, 2, 4, 2, 384, false, 10000, null, 512, 1e-5);
            case "small" -> new ModelPreset("small", 256, 688, 4, 8, 4, 2048, false, 10000, null, 2048, 1e-5);
            case "1b" -> new ModelPreset("1b", 2048, 8192, 16, 32, 8, 32000, true, 500000,
                    new RopeScaling(32, 1, 4, 8192), 131072, 1e-5);
            default -> throw new IllegalArgumentException("unknown preset '" + name + "'; choose tiny, small or 1b");
        };
    }

    public int headDim() {
        return hiddenSize / heads;
    }

    public ModelPreset withTiedEmbeddings(boolean tie) {
        return new ModelPreset(name, hiddenSize, intermediateSize, layers, heads, kvHeads, vocabSize, tie, ropeTheta,
                ropeScaling, maxPositions, rmsNormEps);
    }

    public ModelPreset withRopeScaling(RopeScaling scaling) {
        return new ModelPreset(name, hiddenSize, intermediateSize, layers, heads, kvHeads, vocabSize, tieWordEmbeddings,
                ropeTheta, scaling, maxPositions, rmsNormEps);
    }

    public ModelPreset withKvHeads(int kv) {
        return new ModelPreset(name, hiddenSize, intermediateSize, layers, heads, kv, vocabSize, tieWordEmbeddings,
                ropeTheta, ropeScaling, maxPositions, rmsNormEps);
    }

    /** Parameters that the weights hold. */
    public long parameterCount() {
        long attn = (long) hiddenSize * heads * headDim() * 2 + (long) hiddenSize * kvHeads * headDim() * 2;
        long mlp = 3L * hiddenSize * intermediateSize;
        long perLayer = attn + mlp + 2L * hiddenSize;
        long embed = (long) vocabSize * hiddenSize;
        return layers * perLayer + embed * (tieWordEmbeddings ? 1 : 2) + hiddenSize;
    }
}
