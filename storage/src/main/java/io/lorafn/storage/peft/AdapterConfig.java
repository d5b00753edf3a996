package io.lorafn.storage.peft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PEFT's {@code adapter_config.json} for LoRA. Target, rank and alpha lookups follow PEFT's own
 * matching rules, so the same file selects the same modules here as in PEFT.
 */
public record AdapterConfig(
        int r,
        double loraAlpha,
        boolean useRslora,
        List<String> targetModuleList,
        String targetModuleRegex,
        Map<String, Integer> rankPattern,
        Map<String, Double> alphaPattern,
        boolean fanInFanOut,
        String baseModelNameOrPath) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static AdapterConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new StorageException("ADAPTER_CONFIG_MISSING", file + ": no such file");
        } catch (IOException e) {
            throw new StorageException("ADAPTER_CONFIG_INVALID", file + ": unreadable: " + e.getMessage(), e);
        }
        return parse(file, text);
    }

    /** {@code file} names the source in error messages. */
    public static AdapterConfig parse(Path file, String text) {
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (IOException e) {
            throw new StorageException("ADAPTER_CONFIG_INVALID", file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new StorageException("ADAPTER_CONFIG_INVALID", file + ": not a JSON object");
        }
        String type = n.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new StorageException("ADAPTER_UNSUPPORTED", file + ": peft_type '" + type + "' is not supported; only LORA");
        }
        if (n.path("use_dora").asBoolean(false)) {
            throw new StorageException("ADAPTER_UNSUPPORTED", file + ": use_dora is not supported");
        }
        if (!n.path("bias").asText("none").equals("none")) {
            throw new StorageException("ADAPTER_UNSUPPORTED", file + ": bias '" + n.path("bias").asText() + "' is not supported; only none");
        }
        int r = n.path("r").asInt(0);
        if (r <= 0) {
            throw new StorageException("ADAPTER_CONFIG_INVALID", file + ": 'r' must be a positive integer, got " + n.get("r"));
        }
        double alpha = n.path("lora_alpha").asDouble(8.0);
        List<String> list = new ArrayList<>();
        String regex = null;
        JsonNode targets = n.path("target_modules");
        if (targets.isTextual()) {
            regex = targets.asText();
            try {
                Pattern.compile(regex);
            } catch (PatternSyntaxException e) {
                throw new StorageException("ADAPTER_CONFIG_INVALID", file + ": target_modules regex is invalid: " + e.getDescription());
            }
        } else if (targets.isArray()) {
            targets.forEach(t -> list.add(t.asText()));
        } else {
            throw new StorageException("ADAPTER_CONFIG_INVALID", file + ": 'target_modules' must be a list or a regex string");
        }
        Map<String, Integer> ranks = new LinkedHashMap<>();
        n.path("rank_pattern").fields().forEachRemaining(e -> ranks.put(e.getKey(), e.getValue().asInt()));
        Map<String, Double> alphas = new LinkedHashMap<>();
        n.path("alpha_pattern").fields().forEachRemaining(e -> alphas.put(e.getKey(), e.getValue().asDouble()));
        return new AdapterConfig(r, alpha, n.path("use_rslora").asBoolean(false), List.copyOf(list), regex,
                ranks, alphas, n.path("fan_in_fan_out").asBoolean(false), n.path("base_model_name_or_path").asText(""));
    }

    /** PEFT's check_target_module_exists: a regex string must match the whole name, list entries a dotted suffix. */
    public boolean targets(String modulePath) {
        if (targetModuleRegex != null) {
            return targetModuleRegex.equals("all-linear") || Pattern.matches(targetModuleRegex, modulePath);
        }
        for (String t : targetModuleList) {
            if (modulePath.equals(t) || modulePath.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    public int rankFor(String modulePath) {
        String key = patternKey(rankPattern.keySet(), modulePath);
        return key == null ? r : rankPattern.get(key);
    }

    public double alphaFor(String modulePath) {
        String key = patternKey(alphaPattern.keySet(), modulePath);
        return key == null ? loraAlpha : alphaPattern.get(key);
    }

    /** s = alpha / r, or alpha / sqrt(r) with rsLoRA (Kalajdzievski, 2023). */
    public double scaleFor(String modulePath) {
        int rank = rankFor(modulePath);
        double alpha = alphaFor(modulePath);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** PEFT's get_pattern_key: the first key that matches a dotted suffix of the module path. */
    private static String patternKey(Iterable<String> keys, String modulePath) {
        for (String key : keys) {
            if (Pattern.compile("(.*\\.)?(" + key + ")$").matcher(modulePath).matches()) {
                return key;
            }
        }
        return null;
    }
}
