package io.lorafn.worker.engine;

import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Tiny synthetic models and adapters written into a test's temporary directory. */
public final class TestModels {
    private TestModels() {
    }

    public static ModelPreset tiny() {
        return ModelPreset.named("tiny");
    }

    public static Path model(Path root, String name, ModelPreset preset, DType dtype, long seed) {
        Path dir = root.resolve(name);
        SyntheticModel.write(dir, preset, dtype, seed, 0, Progress.NONE);
        return dir;
    }

    public static Path shardedModel(Path root, String name, ModelPreset preset, long shardBytes) {
        Path dir = root.resolve(name);
        SyntheticModel.write(dir, preset, DType.F32, 7, shardBytes, Progress.NONE);
        return dir;
    }

    public static Path adapter(Path root, String name, Path model, SyntheticAdapter.Spec spec) {
        Path dir = root.resolve(name);
        SyntheticAdapter.write(dir, model, ModelConfig.read(model.resolve("config.json")), spec);
        return dir;
    }

    public static SyntheticAdapter.Spec allProjections(int rank, long seed) {
        return new SyntheticAdapter.Spec(rank, 2.0 * rank, List.of(Projection.values()), seed);
    }

    public static SyntheticAdapter.Spec spec(int rank, double alpha, long seed, DType dtype, boolean rslora,
                                      Map<String, Integer> rankPattern, Map<String, Double> alphaPattern) {
        return new SyntheticAdapter.Spec(rank, alpha, List.of(Projection.values()), seed, dtype, rslora, rankPattern, alphaPattern);
    }

    /** All positions' logits of one sequence, computed in one prefill step. */
    public static float[][] logits(LoadedModel m, io.lorafn.storage.peft.LoraAdapter adapter, int[] tokens) {
        KvCache cache = m.engine().newCache(tokens.length);
        List<BatchRow> rows = new java.util.ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            rows.add(new BatchRow(cache, tokens[i], i, adapter, true));
        }
        return m.engine().forward(rows);
    }
}
