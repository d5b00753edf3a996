package io.lorafn.storage.hf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model directory is checked against its config when it is opened. */
class ModelValidationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    private Path model(Consumer<ObjectNode> editConfig) throws IOException {
        Path dir = root.resolve("m");
        SyntheticModel.write(dir, ModelPreset.named("tiny"), DType.F32, 3, 0, Progress.NONE);
        ObjectNode config = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        editConfig.accept(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    @Test
    void syntheticModelOpensAndMatchesItsPreset() throws IOException {
        try (ModelDirectory m = ModelDirectory.open(model(c -> { }))) {
            ModelPreset p = ModelPreset.named("tiny");
            assertEquals(p.hiddenSize(), m.config().hiddenSize());
            assertEquals(p.kvHeads(), m.config().numKeyValueHeads());
            assertTrue(m.tokenizerJson().isPresent());
        }
    }

    @Test
    void shapeThatContradictsConfigIsRefusedNamingFileAndTensor() throws IOException {
        Path dir = model(c -> c.put("intermediate_size", 128));
        StorageException e = assertThrows(StorageException.class, () -> ModelDirectory.open(dir));
        assertEquals("MODEL_SHAPE_MISMATCH", e.code());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("mlp.gate_proj.weight"), e.getMessage());
    }

    @Test
    void unsupportedArchitectureIsRefused() throws IOException {
        Path dir = model(c -> c.putArray("architectures").add("GPT2LMHeadModel"));
        StorageException e = assertThrows(StorageException.class, () -> ModelDirectory.open(dir));
        assertEquals("MODEL_UNSUPPORTED_ARCHITECTURE", e.code());
        assertTrue(e.getMessage().contains("GPT2LMHeadModel"));
    }

    @Test
    void mistralArchitectureIsAccepted() throws IOException {
        try (ModelDirectory m = ModelDirectory.open(model(c -> {
            c.putArray("architectures").add("MistralForCausalLM");
            c.put("sliding_window", 4);
        }))) {
            assertEquals(4, m.config().slidingWindow());
        }
    }

    @Test
    void unsupportedRopeScalingIsRefused() throws IOException {
        Path dir = model(c -> c.putObject("rope_scaling").put("rope_type", "yarn").put("factor", 4));
        assertEquals("MODEL_UNSUPPORTED_ARCHITECTURE", assertThrows(StorageException.class, () -> ModelDirectory.open(dir)).code());
    }

    @Test
    void missingTensorIsRefused() throws IOException {
        Path dir = model(c -> c.put("tie_word_embeddings", false).put("num_hidden_layers", 3));
        StorageException e = assertThrows(StorageException.class, () -> ModelDirectory.open(dir));
        assertEquals("MODEL_TENSOR_MISSING", e.code());
        assertTrue(e.getMessage().contains("model.layers.2."));
    }

    @Test
    void integerWeightTensorIsRefusedAsUnsupportedDtype() throws IOException {
        Path dir = model(c -> { });
        Path weights = dir.resolve("model.safetensors");
        byte[] bytes = java.nio.file.Files.readAllBytes(weights);
        String header = new String(bytes, 8, (int) java.nio.ByteBuffer.wrap(bytes, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(),
                java.nio.charset.StandardCharsets.UTF_8);
        // Same byte size, other meaning: F32 -> I32 on the final norm.
        String edited = header.replace("\"model.norm.weight\":{\"dtype\":\"F32\"", "\"model.norm.weight\":{\"dtype\":\"I32\"");
        assertTrue(!edited.equals(header));
        System.arraycopy(edited.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, bytes, 8, edited.length());
        java.nio.file.Files.write(weights, bytes);
        StorageException e = assertThrows(StorageException.class, () -> ModelDirectory.open(dir));
        assertEquals("MODEL_UNSUPPORTED_DTYPE", e.code());
        assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void llama3RopeScalingFollowsTransformers() {
        RopeScaling s = new RopeScaling(32, 1, 4, 8192);
        double[] inv = {1.0, 2 * Math.PI / 4000, 2 * Math.PI / 20000};
        double[] out = s.apply(inv);
        assertEquals(1.0, out[0]); // wavelength 6.3 < 2048: kept
        double smooth = (8192 / 4000.0 - 1) / (4 - 1);
        assertEquals((1 - smooth) * inv[1] / 32 + smooth * inv[1], out[1], 1e-15); // in the band: interpolated
        assertEquals(inv[2] / 32, out[2], 1e-15); // wavelength 20000 > 8192: divided
    }
}
