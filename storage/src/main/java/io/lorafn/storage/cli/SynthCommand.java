package io.lorafn.storage.cli;

import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Synthetic models and adapters in Hugging Face and PEFT formats, for tests and benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Writes synthetic models and adapters (real weights cannot be downloaded here).",
        subcommands = {SynthCommand.Model.class, SynthCommand.Adapter.class})
public final class SynthCommand {

    @Command(name = "model", mixinStandardHelpOptions = true,
            description = "Writes a complete Hugging Face Llama directory: config.json, safetensors, tokenizer.json.")
    static final class Model implements Callable<Integer> {
        @Option(names = "--preset", required = true, description = "tiny, small or 1b (Llama-3.2-1B's shape, 32000 vocab).")
        String preset;

        @Option(names = "--out", required = true, description = "Directory to write.")
        Path out;

        @Option(names = "--dtype", defaultValue = "bf16", description = "bf16, f16 or f32 (default: ${DEFAULT-VALUE}).")
        String dtype;

        @Option(names = "--seed", defaultValue = "0", description = "The same seed writes the same bytes (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--shard-mb", defaultValue = "0", description = "Split weights into shards of at most this many MB, with an index; 0 = one file (default: ${DEFAULT-VALUE}).")
        long shardMb;

        @Option(names = "--tie-embeddings", negatable = true, description = "Tie lm_head to the embedding (default: the preset's).")
        Boolean tie;

        @Override
        public Integer call() {
            ModelPreset p = ModelPreset.named(preset);
            if (tie != null) {
                p = p.withTiedEmbeddings(tie);
            }
            SyntheticModel.write(out, p, parseDType(dtype), seed, shardMb * 1024 * 1024, new ConsoleProgressBar());
            System.out.println(out);
            return 0;
        }
    }

    @Command(name = "adapter", mixinStandardHelpOptions = true,
            description = "Writes a PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) for a model; B is non-zero, like a trained adapter.")
    static final class Adapter implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "The base model directory.")
        Path model;

        @Option(names = "--out", required = true, description = "Directory to write.")
        Path out;

        @Option(names = "--rank", defaultValue = "16", description = "LoRA rank r (default: ${DEFAULT-VALUE}).")
        int rank;

        @Option(names = "--alpha", defaultValue = "32", description = "lora_alpha (default: ${DEFAULT-VALUE}).")
        double alpha;

        @Option(names = "--targets", defaultValue = "all", split = ",",
                description = "Projections: all, or a list of q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj (default: ${DEFAULT-VALUE}).")
        List<String> targets;

        @Option(names = "--seed", defaultValue = "0", description = "(default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
        String dtype;

        @Option(names = "--rslora", description = "Scale by alpha/sqrt(r) instead of alpha/r.")
        boolean rslora;

        @Option(names = "--rank-pattern", split = ",", description = "Per-module ranks, e.g. q_proj=4,layers.0.mlp.up_proj=8.")
        Map<String, Integer> rankPattern = new LinkedHashMap<>();

        @Option(names = "--alpha-pattern", split = ",", description = "Per-module alphas, e.g. v_proj=64.")
        Map<String, Double> alphaPattern = new LinkedHashMap<>();

        @Override
        public Integer call() {
            ModelConfig config = ModelConfig.read(model.resolve("config.json"));
            SyntheticAdapter.write(out, model, config, new SyntheticAdapter.Spec(rank, alpha, parseTargets(targets), seed,
                    parseDType(dtype), rslora, rankPattern, alphaPattern));
            System.out.println(out);
            return 0;
        }
    }

    /** "all", or module names such as q_proj; shared by every command that takes --targets. */
    public static List<Projection> parseTargets(List<String> names) {
        if (names.size() == 1 && names.get(0).equals("all")) {
            return List.of(Projection.values());
        }
        List<Projection> out = new ArrayList<>();
        for (String n : names) {
            out.add(Projection.byModuleName(n).orElseThrow(() -> new StorageException("SYNTH_BAD_TARGETS",
                    "unknown target '" + n + "'; use all or q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")));
        }
        return out;
    }

    /** f32, bf16 or f16 (and torch's long names); anything else is refused, never defaulted. */
    public static DType parseDType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "bf16", "bfloat16" -> DType.BF16;
            case "f16", "float16" -> DType.F16;
            default -> throw new StorageException("BAD_DTYPE", "unknown dtype '" + name + "'; use f32, bf16 or f16");
        };
    }
}
