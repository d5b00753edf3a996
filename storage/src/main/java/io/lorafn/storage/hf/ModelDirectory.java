package io.lorafn.storage.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.safetensors.SafetensorsFile;
import io.lorafn.storage.safetensors.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A Hugging Face model directory: {@code config.json}, one {@code model.safetensors} or shards named by
 * {@code model.safetensors.index.json}, and optionally {@code tokenizer.json}. Every tensor the
 * architecture needs is checked against the config when the directory is opened.
 */
public final class ModelDirectory implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final ModelConfig config;
    private final List<SafetensorsFile> files;
    private final Map<String, Tensor> tensors;

    private ModelDirectory(Path dir, ModelConfig config, List<SafetensorsFile> files, Map<String, Tensor> tensors) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.tensors = tensors;
    }

    public static ModelDirectory open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new StorageException("MODEL_DIR_MISSING", dir + ": not a directory");
        }
        ModelConfig config = ModelConfig.read(dir.resolve("config.json"));
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            for (Path shard : shardPaths(dir)) {
                SafetensorsFile f = SafetensorsFile.open(shard);
                files.add(f);
                f.tensors().forEach(tensors::putIfAbsent);
            }
            ModelDirectory md = new ModelDirectory(dir, config, files, tensors);
            md.validate();
            return md;
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static List<Path> shardPaths(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            try {
                JsonNode map = JSON.readTree(Files.readString(index)).path("weight_map");
                if (!map.isObject() || map.isEmpty()) {
                    throw new StorageException("MODEL_INDEX_INVALID", index + ": 'weight_map' is missing or empty");
                }
                TreeSet<String> shards = new TreeSet<>();
                map.forEach(v -> shards.add(v.asText()));
                return shards.stream().map(dir::resolve).toList();
            } catch (IOException e) {
                throw new StorageException("MODEL_INDEX_INVALID", index + ": " + e.getMessage(), e);
            }
        }
        Path single = dir.resolve("model.safetensors");
        if (!Files.exists(single)) {
            throw new StorageException("MODEL_WEIGHTS_MISSING", dir + ": neither model.safetensors nor model.safetensors.index.json");
        }
        return List.of(single);
    }

    private void validate() {
        ModelConfig c = config;
        expect("model.embed_tokens.weight", c.vocabSize(), c.hiddenSize());
        expect("model.norm.weight", c.hiddenSize());
        if (!c.tieWordEmbeddings()) {
            expect("lm_head.weight", c.vocabSize(), c.hiddenSize());
        }
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            expect("model.layers." + l + ".input_layernorm.weight", c.hiddenSize());
            expect("model.layers." + l + ".post_attention_layernorm.weight", c.hiddenSize());
            for (Projection p : Projection.values()) {
                expect(p.weightName(l), p.outFeatures(c), p.inFeatures(c));
            }
        }
    }

    private void expect(String name, long... shape) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new StorageException("MODEL_TENSOR_MISSING", dir + ": tensor '" + name + "' is missing");
        }
        if (!java.util.Arrays.equals(t.shape(), shape)) {
            throw new StorageException("MODEL_SHAPE_MISMATCH", fileOf(name) + ": tensor '" + name + "' has shape "
                    + t.shapeText() + " but config.json implies " + java.util.Arrays.toString(shape));
        }
        if (!t.dtype().isWeightType()) {
            throw new StorageException("MODEL_UNSUPPORTED_DTYPE", fileOf(name) + ": tensor '" + name + "' is " + t.dtype()
                    + "; weights must be F32, F16 or BF16");
        }
    }

    private Path fileOf(String name) {
        for (SafetensorsFile f : files) {
            if (f.tensors().containsKey(name)) {
                return f.path();
            }
        }
        return dir;
    }

    public Path dir() {
        return dir;
    }

    public ModelConfig config() {
        return config;
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new StorageException("MODEL_TENSOR_MISSING", dir + ": tensor '" + name + "' is missing");
        }
        return t;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Optional<Path> tokenizerJson() {
        Path p = dir.resolve("tokenizer.json");
        return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
