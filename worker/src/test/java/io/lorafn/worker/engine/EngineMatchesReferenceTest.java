package io.lorafn.worker.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lorafn.storage.hf.RopeScaling;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.worker.reference.ReferenceLlama;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine against an independent double-precision reference that follows transformers' modeling
 * code (worker/src/test/.../reference, written without looking at the engine).
 */
class EngineMatchesReferenceTest {
    /** float32 compute against float64: logits are O(1), so this is ~100x the observed error. */
    private static final double TOLERANCE = 2e-4;
    private static final int[] TOKENS = {1, 17, 250, 3, 99, 42, 42, 7, 300, 128, 5, 64, 200};

    @TempDir
    static Path root;

    @Test
    void baseModelWithGroupedQueryAttentionAndUntiedHeadMatchesReference() {
        ModelPreset p = TestModels.tiny(); // 4 query heads over 2 kv heads, untied head
        assertTrue(p.kvHeads() < p.heads() && !p.tieWordEmbeddings());
        Path model = TestModels.model(root, "base", p, DType.F32, 1);
        assertMatches(model, null);
    }

    @Test
    void tiedHeadMatchesReference() {
        Path model = TestModels.model(root, "tied", TestModels.tiny().withTiedEmbeddings(true), DType.F32, 2);
        assertMatches(model, null);
    }

    @Test
    void multiQueryAttentionMatchesReference() {
        Path model = TestModels.model(root, "mqa", TestModels.tiny().withKvHeads(1), DType.F32, 3);
        assertMatches(model, null);
    }

    @Test
    void bf16WeightsMatchReference() {
        Path model = TestModels.model(root, "bf16", TestModels.tiny(), DType.BF16, 4);
        assertMatches(model, null);
    }

    @Test
    void f16WeightsMatchReference() {
        Path model = TestModels.model(root, "f16", TestModels.tiny(), DType.F16, 5);
        assertMatches(model, null);
    }

    @Test
    void shardedWeightsMatchReference() {
        Path model = TestModels.shardedModel(root, "sharded", TestModels.tiny(), 40_000);
        assertTrue(model.resolve("model.safetensors.index.json").toFile().exists());
        assertMatches(model, null);
    }

    @Test
    void llama3RopeScalingMatchesReference() {
        // original context 32 makes the three llama3 bands (kept, interpolated, divided) all occur at head_dim 16.
        Path model = TestModels.model(root, "llama3rope", TestModels.tiny().withRopeScaling(new RopeScaling(8, 1, 4, 32)),
                DType.F32, 6);
        assertMatches(model, null);
    }

    @Test
    void adapterOnAllSevenProjectionsMatchesReference() {
        Path model = TestModels.model(root, "lora-base", TestModels.tiny(), DType.F32, 8);
        Path adapter = TestModels.adapter(root, "lora-all", model, TestModels.allProjections(8, 11));
        assertMatches(model, adapter);
    }

    @Test
    void bf16AdapterOnBf16ModelMatchesReference() {
        Path model = TestModels.model(root, "lora-bf16-base", TestModels.tiny(), DType.BF16, 9);
        Path adapter = TestModels.adapter(root, "lora-bf16", model,
                TestModels.spec(4, 16, 12, DType.BF16, false, Map.of(), Map.of()));
        assertMatches(model, adapter);
    }

    @Test
    void rsLoraScaleMatchesReference() {
        Path model = TestModels.model(root, "rslora-base", TestModels.tiny(), DType.F32, 10);
        Path adapter = TestModels.adapter(root, "rslora", model, TestModels.spec(16, 8, 13, DType.F32, true, Map.of(), Map.of()));
        assertMatches(model, adapter);
    }

    @Test
    void rankAndAlphaPatternsMatchReference() {
        Path model = TestModels.model(root, "pattern-base", TestModels.tiny(), DType.F32, 14);
        Path adapter = TestModels.adapter(root, "pattern", model, TestModels.spec(8, 16, 15, DType.F32, false,
                Map.of("q_proj", 2, "layers.1.mlp.down_proj", 4), Map.of("v_proj", 64.0)));
        assertMatches(model, adapter);
    }

    @Test
    void regexTargetModulesSelectTheSameModulesAsPeft() throws Exception {
        Path model = TestModels.model(root, "regex-base", TestModels.tiny(), DType.F32, 16);
        Path adapter = TestModels.adapter(root, "regex", model, new io.lorafn.storage.synth.SyntheticAdapter.Spec(4, 8,
                java.util.List.of(io.lorafn.storage.hf.Projection.Q, io.lorafn.storage.hf.Projection.V), 17));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(adapter.resolve("adapter_config.json").toFile());
        config.put("target_modules", ".*\\.(q_proj|v_proj)");
        json.writeValue(adapter.resolve("adapter_config.json").toFile(), config);
        assertMatches(model, adapter);
    }

    private static void assertMatches(Path modelDir, Path adapterDir) {
        ReferenceLlama reference = ReferenceLlama.load(modelDir);
        if (adapterDir != null) {
            reference = reference.withAdapter(adapterDir);
        }
        double[][] expected = reference.logits(TOKENS);
        try (LoadedModel m = LoadedModel.open(modelDir, 2)) {
            LoraAdapter adapter = adapterDir == null ? null : m.loadAdapter(adapterDir);
            float[][] actual = TestModels.logits(m, adapter, TOKENS);
            assertEquals(expected.length, actual.length);
            double worst = 0;
            for (int t = 0; t < expected.length; t++) {
                assertEquals(expected[t].length, actual[t].length);
                for (int v = 0; v < expected[t].length; v++) {
                    worst = Math.max(worst, Math.abs(expected[t][v] - actual[t][v]));
                }
            }
            assertTrue(worst < TOLERANCE, "max |engine - reference| = " + worst);
            if (adapterDir != null) {
                // The adapter must matter, or this test would pass with LoRA ignored.
                double[][] base = ReferenceLlama.load(modelDir).logits(TOKENS);
                double moved = 0;
                for (int t = 0; t < base.length; t++) {
                    for (int v = 0; v < base[t].length; v++) {
                        moved = Math.max(moved, Math.abs(base[t][v] - expected[t][v]));
                    }
                }
                assertTrue(moved > 100 * TOLERANCE, "the adapter moved logits by only " + moved);
            }
        }
    }
}
