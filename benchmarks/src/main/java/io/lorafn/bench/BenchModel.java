package io.lorafn.bench;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.SyntheticAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Finds or makes what a benchmark needs next to the model: the resident image and synthetic adapters. */
public final class BenchModel {
    private BenchModel() {
    }

    /** The image for {@code format}, built into the model directory on first use. */
    public static Path image(Path modelDir, WeightFormat format, Path explicit, Progress progress) {
        Path img = explicit != null ? explicit : modelDir.resolve("lorafn-" + format.name().toLowerCase(Locale.ROOT) + ".img");
        if (!Files.exists(img)) {
            try (ModelDirectory dir = ModelDirectory.open(modelDir)) {
                ResidentImageWriter.write(dir, format, img, progress);
            }
        }
        return img;
    }

    /** Synthetic adapter number {@code index} for this rank, targets and dtype, written on first use. */
    public static Path adapter(Path modelDir, int rank, List<Projection> targets, DType dtype, int index) {
        String tag = targets.size() == Projection.values().length ? "all" : String.valueOf(targets.size());
        Path dir = modelDir.resolve(".lorafn-bench").resolve("adapter-r" + rank + "-" + tag + "-"
                + dtype.name().toLowerCase(Locale.ROOT) + "-" + index);
        if (!Files.exists(dir.resolve("adapter_config.json"))) {
            ModelConfig config = ModelConfig.read(modelDir.resolve("config.json"));
            SyntheticAdapter.write(dir, modelDir, config, new SyntheticAdapter.Spec(rank, 2.0 * rank, targets, 1000 + index,
                    dtype, false, java.util.Map.of(), java.util.Map.of()));
        }
        return dir;
    }
}
