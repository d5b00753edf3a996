package io.lorafn.storage.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.safetensors.SafetensorsWriter;
import io.lorafn.storage.safetensors.SafetensorsWriter.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Writes a PEFT LoRA adapter for a model directory. A is PEFT's Kaiming-uniform init; B is Gaussian and
 * not zero (PEFT initialises B to zero, which only a trained adapter leaves behind), so the adapter
 * changes the model's outputs like a trained one.
 */
public final class SyntheticAdapter {
    /** Std of B: makes s·B·A·x about a tenth of W·x at rank 16, alpha 32. */
    private static final double B_STD = 0.02;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public record Spec(int rank, double alpha, List<Projection> targets, long seed, DType dtype, boolean rslora,
                       Map<String, Integer> rankPattern, Map<String, Double> alphaPattern) {
        public Spec(int rank, double alpha, List<Projection> targets, long seed) {
            this(rank, alpha, targets, seed, DType.F32, false, Map.of(), Map.of());
        }
    }

    private SyntheticAdapter() {
    }

    public static void write(Path out, Path modelDir, ModelConfig model, Spec spec) {
        if (spec.rank() < 1) {
            throw new StorageException("SYNTH_BAD_RANK", "rank must be >= 1, got " + spec.rank());
        }
        if (spec.targets().isEmpty()) {
            throw new StorageException("SYNTH_BAD_TARGETS", "at least one target module is needed");
        }
        try {
            Files.createDirectories(out);
            List<Entry> entries = new ArrayList<>();
            for (int l = 0; l < model.numHiddenLayers(); l++) {
                for (Projection p : spec.targets()) {
                    int r = rankFor(spec, p.modulePath(l));
                    String prefix = "base_model.model." + p.modulePath(l);
                    entries.add(new Entry(prefix + ".lora_A.weight", spec.dtype(), new long[] {r, p.inFeatures(model)}));
                    entries.add(new Entry(prefix + ".lora_B.weight", spec.dtype(), new long[] {p.outFeatures(model), r}));
                }
            }
            try (SafetensorsWriter w = new SafetensorsWriter(out.resolve("adapter_model.safetensors"), entries,
                    Map.of("format", "pt"))) {
                for (Entry e : entries) {
                    var random = GaussianFill.randomFor(spec.seed(), e.name());
                    if (e.name().endsWith("lora_A.weight")) {
                        GaussianFill.uniform(w, random, e.elements(), 1.0 / Math.sqrt(e.shape()[1]));
                    } else {
                        GaussianFill.gaussian(w, random, e.elements(), 0.0, B_STD, io.lorafn.storage.Progress.NONE);
                    }
                }
            }
            writeConfig(out, modelDir, spec);
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", out + ": " + e.getMessage(), e);
        }
    }

    private static int rankFor(Spec spec, String modulePath) {
        for (Map.Entry<String, Integer> e : spec.rankPattern().entrySet()) {
            if (Pattern.compile("(.*\\.)?(" + e.getKey() + ")$").matcher(modulePath).matches()) {
                return e.getValue();
            }
        }
        return spec.rank();
    }

    private static void writeConfig(Path out, Path modelDir, Spec spec) throws IOException {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", modelDir.toString());
        c.put("r", spec.rank());
        c.put("lora_alpha", spec.alpha());
        c.put("lora_dropout", 0.0);
        c.put("use_rslora", spec.rslora());
        c.put("fan_in_fan_out", false);
        c.put("bias", "none");
        c.put("inference_mode", true);
        var targets = c.putArray("target_modules");
        spec.targets().forEach(p -> targets.add(p.moduleName()));
        c.set("rank_pattern", JSON.valueToTree(new LinkedHashMap<>(spec.rankPattern())));
        c.set("alpha_pattern", JSON.valueToTree(new LinkedHashMap<>(spec.alphaPattern())));
        JSON.writeValue(out.resolve("adapter_config.json").toFile(), c);
    }
}
