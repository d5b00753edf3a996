package io.lorafn.storage.peft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.safetensors.SafetensorsWriter;
import io.lorafn.storage.safetensors.SafetensorsWriter.Entry;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An adapter that would compute garbage is refused with the file and the tensor named; one that loads is held as the
 * file has it, or narrowed to BF16 under {@code LORAFN_LORA_DTYPE=bf16} (or {@code auto} with 8-bit activations).
 */
class AdapterValidationTest {
    private static final String Q0 = "base_model.model.model.layers.0.self_attn.q_proj";

    @TempDir
    static Path root;
    static Path model;
    static ModelConfig config;

    @BeforeAll
    static void writeModel() {
        model = root.resolve("model");
        SyntheticModel.write(model, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        config = ModelConfig.read(model.resolve("config.json"));
    }

    /** An adapter dir with a valid config targeting q_proj at rank 4 and the given tensors (filled with fill). */
    private static Path adapter(String name, List<Entry> entries, float fill) throws IOException {
        Path dir = root.resolve(name);
        SyntheticAdapter.write(dir, model, config, new SyntheticAdapter.Spec(4, 8, List.of(Projection.Q), 1));
        try (SafetensorsWriter w = new SafetensorsWriter(dir.resolve("adapter_model.safetensors"), entries, Map.of())) {
            for (Entry e : entries) {
                float[] v = new float[(int) e.elements()];
                Arrays.fill(v, fill);
                w.write(v);
            }
        }
        return dir;
    }

    private static StorageException refused(Path adapterDir) {
        StorageException e = assertThrows(StorageException.class, () -> LoraAdapter.load(adapterDir, config).close());
        assertTrue(e.getMessage().contains(adapterDir.toString()), "names the file: " + e.getMessage());
        return e;
    }

    @Test
    void validSyntheticAdapterLoadsWithPeftScale() {
        Path dir = root.resolve("valid");
        SyntheticAdapter.write(dir, model, config, new SyntheticAdapter.Spec(4, 8, List.of(Projection.values()), 1));
        try (LoraAdapter a = LoraAdapter.load(dir, config)) {
            assertEquals(7 * config.numHiddenLayers(), a.modules().size());
            assertEquals(2.0f, a.module(1, Projection.DOWN).scale());
        }
    }

    @Test
    void rankOfAAndBThatDisagreeIsRefused() throws IOException {
        StorageException e = refused(adapter("ranks", List.of(new Entry(Q0 + ".lora_A.weight", DType.F32, new long[] {4, 64}),
                new Entry(Q0 + ".lora_B.weight", DType.F32, new long[] {64, 3})), 0.1f));
        assertEquals("ADAPTER_RANK_MISMATCH", e.code());
        assertTrue(e.getMessage().contains("lora_A") && e.getMessage().contains("lora_B"));
    }

    @Test
    void rankThatContradictsTheConfigIsRefused() throws IOException {
        StorageException e = refused(adapter("config-rank", List.of(new Entry(Q0 + ".lora_A.weight", DType.F32, new long[] {2, 64}),
                new Entry(Q0 + ".lora_B.weight", DType.F32, new long[] {64, 2})), 0.1f));
        assertEquals("ADAPTER_RANK_MISMATCH", e.code());
    }

    @Test
    void adapterMadeForOtherDimensionsIsRefused() throws IOException {
        StorageException e = refused(adapter("dims", List.of(new Entry(Q0 + ".lora_A.weight", DType.F32, new long[] {4, 128}),
                new Entry(Q0 + ".lora_B.weight", DType.F32, new long[] {128, 4})), 0.1f));
        assertEquals("ADAPTER_SHAPE_MISMATCH", e.code());
        assertTrue(e.getMessage().contains("another model"));
    }

    @Test
    void layerPastTheModelIsRefused() throws IOException {
        String q9 = "base_model.model.model.layers.9.self_attn.q_proj";
        StorageException e = refused(adapter("layer", List.of(new Entry(q9 + ".lora_A.weight", DType.F32, new long[] {4, 64}),
                new Entry(q9 + ".lora_B.weight", DType.F32, new long[] {64, 4})), 0.1f));
        assertEquals("ADAPTER_SHAPE_MISMATCH", e.code());
    }

    @Test
    void nanInAnAdapterIsRefused() throws IOException {
        StorageException e = refused(adapter("nan", List.of(new Entry(Q0 + ".lora_A.weight", DType.F32, new long[] {4, 64}),
                new Entry(Q0 + ".lora_B.weight", DType.F32, new long[] {64, 4})), Float.NaN));
        assertEquals("ADAPTER_NON_FINITE", e.code());
        assertTrue(e.getMessage().contains(Q0 + ".lora_A.weight"));
    }

    @Test
    void infinityInABf16AdapterIsRefused() throws IOException {
        StorageException e = refused(adapter("inf", List.of(new Entry(Q0 + ".lora_A.weight", DType.BF16, new long[] {4, 64}),
                new Entry(Q0 + ".lora_B.weight", DType.BF16, new long[] {64, 4})), Float.POSITIVE_INFINITY));
        assertEquals("ADAPTER_NON_FINITE", e.code());
    }

    @Test
    void missingBMatrixIsRefused() throws IOException {
        StorageException e = refused(adapter("half", List.of(new Entry(Q0 + ".lora_A.weight", DType.F32, new long[] {4, 64})), 0.1f));
        assertEquals("ADAPTER_INCOMPLETE", e.code());
    }

    @Test
    void tensorOfAnUntargetedModuleIsRefused() throws IOException {
        String k0 = "base_model.model.model.layers.0.self_attn.k_proj";
        StorageException e = refused(adapter("untargeted", List.of(new Entry(k0 + ".lora_A.weight", DType.F32, new long[] {4, 64}),
                new Entry(k0 + ".lora_B.weight", DType.F32, new long[] {32, 4})), 0.1f));
        assertEquals("ADAPTER_TARGET_MISMATCH", e.code());
    }

    @Test
    void unknownTensorIsRefused() throws IOException {
        StorageException e = refused(adapter("unknown", List.of(new Entry("base_model.model.lm_head.lora_embedding_A", DType.F32,
                new long[] {4, 64})), 0.1f));
        assertEquals("ADAPTER_UNSUPPORTED_TENSOR", e.code());
    }

    @Test
    void missingConfigIsReportedByName() throws IOException {
        Path dir = root.resolve("noconfig");
        Files.createDirectories(dir);
        StorageException e = assertThrows(StorageException.class, () -> LoraAdapter.load(dir, config));
        assertEquals("ADAPTER_CONFIG_MISSING", e.code());
    }

    @AfterEach
    void restore() {
        System.clearProperty(LoraDtype.PROPERTY);
        System.clearProperty(Activations.PROPERTY);
    }

    @Test
    void narrowedMatricesAreTheNearestBf16OfTheStoredOnes() {
        Path dir = root.resolve("f32");
        SyntheticAdapter.write(dir, model, config, new SyntheticAdapter.Spec(8, 16, List.of(Projection.values()), 3));
        try (LoraAdapter stored = LoraAdapter.load(dir, config)) {
            System.setProperty(LoraDtype.PROPERTY, "bf16");
            try (LoraAdapter narrowed = LoraAdapter.load(dir, config)) {
                assertEquals(stored.modules().size(), narrowed.modules().size());
                assertEquals(stored.residentBytes(), 2 * narrowed.residentBytes(), "half the bytes");
                for (LoraModule s : stored.modules()) {
                    LoraModule n = narrowed.module(s.layer(), s.projection());
                    assertEquals(s.scale(), n.scale());
                    checkNearest(s.a(), n.a());
                    checkNearest(s.b(), n.b());
                    checkNearest(s.bTransposed(), n.bTransposed());
                }
            }
        }
    }

    private static void checkNearest(WeightMatrix f32, WeightMatrix bf16) {
        assertEquals(WeightFormat.F32, f32.format());
        assertEquals(WeightFormat.BF16, bf16.format());
        assertEquals(f32.rows(), bf16.rows());
        assertEquals(f32.cols(), bf16.cols());
        for (long i = 0; i < (long) f32.rows() * f32.cols(); i++) {
            float v = f32.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            float got = Float.intBitsToFloat(bf16.data().getAtIndex(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, i) << 16);
            float down = Float.intBitsToFloat(Float.floatToRawIntBits(v) & 0xFFFF0000);
            float up = Float.intBitsToFloat(Float.floatToRawIntBits(down) + 0x10000); // the next BF16 away from zero
            // the two BF16 values around v: got must be one of them and no farther from v than the other
            assertTrue(got == down || got == up, v + " became " + got);
            assertTrue(Math.abs(got - v) <= Math.abs((got == down ? up : down) - v), v + " became " + got + ", not the nearest");
        }
    }

    @Test
    void anUnknownDtypeIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LoraDtype.resolve("fp8", Activations.F32));
        assertTrue(e.getMessage().contains("fp8") && e.getMessage().contains("auto"), e.getMessage());
    }

    @Test
    void autoNarrowsAdaptersOnlyWhereTheActivationsAreEightBit() {
        assertEquals(LoraDtype.STORED, LoraDtype.resolve("auto", Activations.F32));
        assertEquals(LoraDtype.BF16, LoraDtype.resolve(" AUTO ", Activations.Q8));
        assertEquals(LoraDtype.STORED, LoraDtype.resolve("stored", Activations.Q8), "an explicit setting wins");
        assertEquals(LoraDtype.BF16, LoraDtype.resolve("bf16", Activations.F32));
        Path dir = root.resolve("auto");
        SyntheticAdapter.write(dir, model, config, new SyntheticAdapter.Spec(8, 16, List.of(Projection.values()), 3));
        try (LoraAdapter exact = LoraAdapter.load(dir, config)) { // auto, by default, with F32 activations (the default too)
            System.setProperty(Activations.PROPERTY, "q8");
            try (LoraAdapter narrowed = LoraAdapter.load(dir, config)) {
                assertEquals(WeightFormat.F32, exact.modules().getFirst().a().format());
                assertEquals(WeightFormat.BF16, narrowed.modules().getFirst().a().format());
                assertEquals(exact.residentBytes(), 2 * narrowed.residentBytes());
            }
        }
    }
}
