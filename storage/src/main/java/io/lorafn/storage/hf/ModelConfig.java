package io.lorafn.storage.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A Llama-family {@code config.json}, validated. Built from JSON in one place: {@link #read(Path)}. */
public record ModelConfig(
        String architecture,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        int vocabSize,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        Integer slidingWindow,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        String torchDtype) {

    public static final Set<String> SUPPORTED_ARCHITECTURES = Set.of("LlamaForCausalLM", "MistralForCausalLM");
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ModelConfig read(Path configJson) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(configJson));
        } catch (NoSuchFileException e) {
            throw new StorageException("MODEL_CONFIG_MISSING", configJson + ": no such file");
        } catch (IOException e) {
            throw new StorageException("MODEL_CONFIG_INVALID", configJson + ": not valid JSON: " + e.getMessage(), e);
        }
        return fromJson(configJson, n);
    }

    /** Parses a config.json object; {@code where} names its source in error messages. */
    public static ModelConfig fromJson(Path where, JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new StorageException("MODEL_CONFIG_INVALID", where + ": not a JSON object");
        }
        String arch = n.path("architectures").path(0).asText(null);
        if (arch == null) {
            throw new StorageException("MODEL_CONFIG_INVALID", where + ": 'architectures' is missing");
        }
        if (!SUPPORTED_ARCHITECTURES.contains(arch)) {
            throw new StorageException("MODEL_UNSUPPORTED_ARCHITECTURE", where + ": architecture '" + arch
                    + "' is not supported; supported are " + SUPPORTED_ARCHITECTURES);
        }
        if (!n.path("hidden_act").asText("silu").equals("silu")) {
            throw new StorageException("MODEL_UNSUPPORTED_ARCHITECTURE", where + ": hidden_act '" + n.path("hidden_act").asText()
                    + "' is not supported; only silu");
        }
        if (n.path("attention_bias").asBoolean(false) || n.path("mlp_bias").asBoolean(false)) {
            throw new StorageException("MODEL_UNSUPPORTED_ARCHITECTURE", where + ": attention_bias and mlp_bias are not supported");
        }
        int hidden = positive(where, n, "hidden_size");
        int heads = positive(where, n, "num_attention_heads");
        int kvHeads = n.hasNonNull("num_key_value_heads") ? positive(where, n, "num_key_value_heads") : heads;
        int headDim = n.hasNonNull("head_dim") ? positive(where, n, "head_dim") : hidden / heads;
        if (heads % kvHeads != 0) {
            throw new StorageException("MODEL_CONFIG_INVALID", where + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new StorageException("MODEL_CONFIG_INVALID", where + ": head_dim " + headDim + " must be even for RoPE");
        }
        JsonNode rope = n.hasNonNull("rope_scaling") ? n.get("rope_scaling") : n.path("rope_parameters");
        double theta = n.path("rope_theta").asDouble(rope.path("rope_theta").asDouble(10000.0));
        RopeScaling scaling = readRopeScaling(where, rope);
        List<Integer> eos = new ArrayList<>();
        JsonNode eosNode = n.path("eos_token_id");
        if (eosNode.isArray()) {
            eosNode.forEach(e -> eos.add(e.asInt()));
        } else if (eosNode.canConvertToInt()) {
            eos.add(eosNode.asInt());
        }
        return new ModelConfig(arch, hidden, positive(where, n, "intermediate_size"), positive(where, n, "num_hidden_layers"),
                heads, kvHeads, headDim, positive(where, n, "vocab_size"), n.path("rms_norm_eps").asDouble(1e-6), theta, scaling,
                n.path("max_position_embeddings").asInt(2048), n.path("tie_word_embeddings").asBoolean(false),
                n.hasNonNull("sliding_window") ? n.get("sliding_window").asInt() : null,
                n.hasNonNull("bos_token_id") ? n.get("bos_token_id").asInt() : null, List.copyOf(eos),
                n.path("torch_dtype").asText(n.path("dtype").asText("float32")));
    }

    private static RopeScaling readRopeScaling(Path where, JsonNode rope) {
        if (rope.isMissingNode() || rope.isNull()) {
            return null;
        }
        String type = rope.path("rope_type").asText(rope.path("type").asText("default"));
        return switch (type) {
            case "default" -> null;
            case "llama3" -> new RopeScaling(rope.path("factor").asDouble(), rope.path("low_freq_factor").asDouble(),
                    rope.path("high_freq_factor").asDouble(), rope.path("original_max_position_embeddings").asInt());
            default -> throw new StorageException("MODEL_UNSUPPORTED_ARCHITECTURE", where + ": rope_scaling type '" + type
                    + "' is not supported; supported are default and llama3");
        };
    }

    private static int positive(Path where, JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || v.asInt() <= 0) {
            throw new StorageException("MODEL_CONFIG_INVALID", where + ": '" + field + "' must be a positive integer, got " + v);
        }
        return v.asInt();
    }

    /** Inverse RoPE frequencies, one per rotated pair, with llama3 scaling applied when configured. */
    public double[] ropeInverseFrequencies() {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            // transformers computes these in float32; rounding here keeps us bit-compatible with it.
            inv[i] = (float) (1.0 / Math.pow(ropeTheta, (2.0 * i) / headDim));
        }
        return ropeScaling == null ? inv : ropeScaling.apply(inv);
    }

    public int kvDim() {
        return numKeyValueHeads * headDim;
    }
}
