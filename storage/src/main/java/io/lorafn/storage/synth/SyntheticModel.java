package io.lorafn.storage.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.hf.tokenizer.ByteLevelEncoding;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.safetensors.SafetensorsWriter;
import io.lorafn.storage.safetensors.SafetensorsWriter.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a complete Hugging Face Llama directory (config, weights, tokenizer) from a preset and a seed.
 * Weights are Gaussian with std 1/sqrt(fan-in), the scale of a trained Llama, so activations and logits
 * have realistic magnitudes; the same seed gives the same bytes.
 */
public final class SyntheticModel {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SyntheticModel() {
    }

    /**
     * @param maxShardBytes 0 for a single model.safetensors; otherwise shards of at most this size
     *                      (a tensor larger than it gets a shard of its own) and an index file
     */
    public static void write(Path out, ModelPreset p, DType dtype, long seed, long maxShardBytes, Progress progress) {
        if (!dtype.isWeightType()) {
            throw new StorageException("SYNTH_BAD_DTYPE", "synthetic weights must be f32, f16 or bf16, not " + dtype);
        }
        try {
            Files.createDirectories(out);
            SyntheticTokenizer.SpecialIds ids = SyntheticTokenizer.write(out.resolve("tokenizer.json"), p.vocabSize(), seed);
            writeConfig(out, p, dtype, ids);
            writeTokenizerConfig(out);
            List<Entry> entries = entries(p, dtype);
            List<List<Entry>> shards = shard(entries, maxShardBytes);
            progress.start("synth " + p.name(), p.parameterCount());
            ObjectNode weightMap = JSON.createObjectNode();
            long total = 0;
            for (int s = 0; s < shards.size(); s++) {
                String file = shards.size() == 1 ? "model.safetensors"
                        : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", s + 1, shards.size());
                try (SafetensorsWriter w = new SafetensorsWriter(out.resolve(file), shards.get(s), Map.of("format", "pt"))) {
                    for (Entry e : shards.get(s)) {
                        fill(w, e, p, seed, progress);
                        weightMap.put(e.name(), file);
                        total += e.elements() * dtype.bytes();
                    }
                }
            }
            if (shards.size() > 1) {
                ObjectNode index = JSON.createObjectNode();
                index.putObject("metadata").put("total_size", total);
                index.set("weight_map", weightMap);
                JSON.writeValue(out.resolve("model.safetensors.index.json").toFile(), index);
            }
            progress.done();
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", out + ": " + e.getMessage(), e);
        }
    }

    static List<Entry> entries(ModelPreset p, DType dtype) {
        List<Entry> e = new ArrayList<>();
        int qDim = p.heads() * p.headDim(), kvDim = p.kvHeads() * p.headDim();
        e.add(new Entry("model.embed_tokens.weight", dtype, new long[] {p.vocabSize(), p.hiddenSize()}));
        for (int l = 0; l < p.layers(); l++) {
            e.add(new Entry("model.layers." + l + ".input_layernorm.weight", dtype, new long[] {p.hiddenSize()}));
            for (Projection proj : Projection.values()) {
                long[] shape = switch (proj) {
                    case Q -> new long[] {qDim, p.hiddenSize()};
                    case K, V -> new long[] {kvDim, p.hiddenSize()};
                    case O -> new long[] {p.hiddenSize(), qDim};
                    case GATE, UP -> new long[] {p.intermediateSize(), p.hiddenSize()};
                    case DOWN -> new long[] {p.hiddenSize(), p.intermediateSize()};
                };
                e.add(new Entry(proj.weightName(l), dtype, shape));
            }
            e.add(new Entry("model.layers." + l + ".post_attention_layernorm.weight", dtype, new long[] {p.hiddenSize()}));
        }
        e.add(new Entry("model.norm.weight", dtype, new long[] {p.hiddenSize()}));
        if (!p.tieWordEmbeddings()) {
            e.add(new Entry("lm_head.weight", dtype, new long[] {p.vocabSize(), p.hiddenSize()}));
        }
        return e;
    }

    private static List<List<Entry>> shard(List<Entry> entries, long maxShardBytes) {
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> current = new ArrayList<>();
        long bytes = 0;
        for (Entry e : entries) {
            long size = e.elements() * e.dtype().bytes();
            if (maxShardBytes > 0 && !current.isEmpty() && bytes + size > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(e);
            bytes += size;
        }
        shards.add(current);
        return shards;
    }

    private static void fill(SafetensorsWriter w, Entry e, ModelPreset p, long seed, Progress progress) {
        var random = GaussianFill.randomFor(seed, e.name());
        if (e.shape().length == 1) {
            GaussianFill.gaussian(w, random, e.elements(), 1.0, 0.05, progress); // norm gains near 1
            return;
        }
        double std = 1.0 / Math.sqrt(e.shape()[1]);
        boolean head = e.name().equals(p.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
        if (!head) {
            GaussianFill.gaussian(w, random, e.elements(), 0.0, std, progress);
            return;
        }
        // A trained model rarely emits a lone byte that cannot start a character (0x80..0xFF); with equal
        // random rows a tiny vocabulary emits them a third of the time and prints replacement characters.
        for (int id = 0; id < e.shape()[0]; id++) {
            boolean strayByte = id < 256 && ByteLevelEncoding.byteInVocabOrder(id) >= 0x80;
            GaussianFill.gaussian(w, random, e.shape()[1], 0.0, strayByte ? std / 4 : std, progress);
        }
    }

    private static void writeConfig(Path out, ModelPreset p, DType dtype, SyntheticTokenizer.SpecialIds ids) throws IOException {
        String torchDtype = switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", p.hiddenSize());
        c.put("intermediate_size", p.intermediateSize());
        c.put("num_hidden_layers", p.layers());
        c.put("num_attention_heads", p.heads());
        c.put("num_key_value_heads", p.kvHeads());
        c.put("head_dim", p.headDim());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", p.maxPositions());
        c.put("rms_norm_eps", p.rmsNormEps());
        c.put("rope_theta", p.ropeTheta());
        if (p.ropeScaling() == null) {
            c.putNull("rope_scaling");
        } else {
            ObjectNode r = c.putObject("rope_scaling");
            r.put("rope_type", "llama3");
            r.put("factor", p.ropeScaling().factor());
            r.put("low_freq_factor", p.ropeScaling().lowFreqFactor());
            r.put("high_freq_factor", p.ropeScaling().highFreqFactor());
            r.put("original_max_position_embeddings", p.ropeScaling().originalMaxPositions());
        }
        c.put("tie_word_embeddings", p.tieWordEmbeddings());
        c.put("vocab_size", p.vocabSize());
        c.put("bos_token_id", ids.bos());
        c.put("eos_token_id", ids.eos());
        c.put("attention_bias", false);
        c.put("mlp_bias", false);
        c.put("torch_dtype", torchDtype);
        c.put("lorafn_synthetic", p.name());
        JSON.writeValue(out.resolve("config.json").toFile(), c);
        ObjectNode g = JSON.createObjectNode();
        g.put("bos_token_id", ids.bos());
        g.put("eos_token_id", ids.eos());
        JSON.writeValue(out.resolve("generation_config.json").toFile(), g);
    }

    /** Llama 3's chat template, as Meta ships it in tokenizer_config.json: chat endpoints render messages with it. */
    static final String LLAMA3_CHAT_TEMPLATE = "{% set loop_messages = messages %}{% for message in loop_messages %}"
            + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    private static void writeTokenizerConfig(Path out) throws IOException {
        var c = JSON.createObjectNode();
        c.put("bos_token", "<|begin_of_text|>");
        c.put("eos_token", "<|eot_id|>");
        c.put("chat_template", LLAMA3_CHAT_TEMPLATE);
        JSON.writeValue(out.resolve("tokenizer_config.json").toFile(), c);
    }
}
