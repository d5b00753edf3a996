package io.lorafn.storage.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.peft.AdapterConfig;
import io.lorafn.storage.peft.LoraAdapter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Everything a push must pass. The rules that concern the safetensors file and the tensors (header
 * bound, offsets, overlap, dtype, shapes, A/B ranks, NaN and Inf) are {@link LoraAdapter}'s own; this
 * adds the registry's limits and the base model check. Each refusal is a {@link StorageException}
 * whose code the invoker maps to 422.
 */
public final class AdapterValidator {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ModelConfig base;
    private final String baseSha256;
    private final AdapterRules rules;

    public AdapterValidator(ModelConfig base, String baseSha256, AdapterRules rules) {
        this.base = base;
        this.baseSha256 = baseSha256;
        this.rules = rules;
    }

    /**
     * @param declaredBaseSha256 the base the uploader says the adapter was trained on, or null; when
     *                           null, {@code base_model_sha256} in adapter_config.json is used if present
     */
    public AdapterConfig validate(Path label, byte[] configJson, byte[] weights, String declaredBaseSha256) {
        checkSize(label.resolve(LoraAdapter.CONFIG_FILE), configJson.length);
        checkSize(label.resolve(LoraAdapter.WEIGHTS_FILE), weights.length);
        AdapterConfig config = AdapterConfig.parse(label.resolve(LoraAdapter.CONFIG_FILE), new String(configJson, StandardCharsets.UTF_8));
        checkRank(label, config);
        checkTargetsExist(label, config);
        checkBase(label, configJson, declaredBaseSha256);
        try (LoraAdapter ignored = LoraAdapter.fromBytes(label, configJson, java.lang.foreign.MemorySegment.ofArray(weights), base)) {
            return config;
        }
    }

    private void checkSize(Path file, long bytes) {
        if (bytes > rules.maxFileBytes()) {
            throw new StorageException("ADAPTER_TOO_LARGE", file + " is " + bytes + " bytes; the limit is " + rules.maxFileBytes());
        }
    }

    private void checkRank(Path label, AdapterConfig config) {
        if (config.r() > rules.maxRank()) {
            throw new StorageException("ADAPTER_RANK_TOO_LARGE", label + ": rank " + config.r() + " is above the maximum "
                    + rules.maxRank());
        }
        config.rankPattern().forEach((pattern, r) -> {
            if (r > rules.maxRank()) {
                throw new StorageException("ADAPTER_RANK_TOO_LARGE", label + ": rank_pattern '" + pattern + "' gives rank " + r
                        + ", above the maximum " + rules.maxRank());
            }
        });
    }

    /** PEFT refuses target_modules that match nothing in the model; so do we, naming the first one. */
    private void checkTargetsExist(Path label, AdapterConfig config) {
        List<String> modules = new ArrayList<>();
        for (int layer = 0; layer < base.numHiddenLayers(); layer++) {
            for (Projection p : Projection.values()) {
                modules.add(p.modulePath(layer));
            }
        }
        if (config.targetModuleRegex() != null) {
            String regex = config.targetModuleRegex();
            if (!regex.equals("all-linear") && modules.stream().noneMatch(m -> Pattern.matches(regex, m))) {
                throw new StorageException("ADAPTER_TARGET_UNKNOWN", label + ": target_modules regex '" + regex
                        + "' matches no module of the base model (" + base.architecture() + ")");
            }
            return;
        }
        for (String t : config.targetModuleList()) {
            if (modules.stream().noneMatch(m -> m.equals(t) || m.endsWith("." + t))) {
                throw new StorageException("ADAPTER_TARGET_UNKNOWN", label + ": target module '" + t
                        + "' does not exist in the base model (" + base.architecture() + "; it has "
                        + java.util.Arrays.stream(Projection.values()).map(Projection::moduleName).toList() + ")");
            }
        }
    }

    private void checkBase(Path label, byte[] configJson, String declared) {
        String claimed = declared;
        if (claimed == null) {
            try {
                JsonNode n = JSON.readTree(configJson);
                claimed = n.hasNonNull("base_model_sha256") ? n.get("base_model_sha256").asText() : null;
            } catch (IOException e) {
                claimed = null; // AdapterConfig.parse has already refused invalid JSON
            }
        }
        if (claimed != null && !claimed.equalsIgnoreCase(baseSha256)) {
            throw new StorageException("ADAPTER_BASE_MISMATCH", label + ": the adapter declares base model sha256 " + claimed
                    + " but this deployment serves " + baseSha256);
        }
    }

    public String baseSha256() {
        return baseSha256;
    }
}
