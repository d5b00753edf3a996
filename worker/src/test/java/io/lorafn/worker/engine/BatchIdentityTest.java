package io.lorafn.worker.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.peft.AdapterMerge;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.image.ResidentImageWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/** Batching never changes a sequence's result, and merged weights compute what unmerged LoRA does. */
class BatchIdentityTest {
    @TempDir
    static Path root;

    @Test
    void sequenceInMixedAdapterBatchHasBitwiseTheLogitsItHasAlone() {
        Path model = TestModels.model(root, "m", TestModels.tiny(), DType.BF16, 21);
        Path a1 = TestModels.adapter(root, "a1", model, TestModels.allProjections(4, 1));
        Path a2 = TestModels.adapter(root, "a2", model, TestModels.spec(8, 8, 2, DType.BF16, true, java.util.Map.of(), java.util.Map.of()));
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            LoraAdapter[] adapters = {m.loadAdapter(a1), null, m.loadAdapter(a2), m.loadAdapter(a1)};
            int[][] prompts = {{1, 2, 3, 4, 5}, {9, 8, 7}, {100, 200, 300, 301, 302, 303, 4}, {1, 2, 3, 4, 5}};
            int steps = 4;
            float[][][] alone = new float[prompts.length][][];
            for (int s = 0; s < prompts.length; s++) {
                alone[s] = runAlone(m, adapters[s], prompts[s], steps);
            }
            float[][][] batched = runBatched(m, adapters, prompts, steps);
            for (int s = 0; s < prompts.length; s++) {
                for (int t = 0; t < alone[s].length; t++) {
                    assertArrayEquals(alone[s][t], batched[s][t], "sequence " + s + ", step " + t);
                }
            }
        }
    }

    /**
     * With 8-bit activations (llama.cpp's method) batching still changes no bit: each sequence quantizes its
     * own activations, and the integer products and their scaling add up in one order whatever the batch.
     * The logits stay close to those of F32 activations on the same weights. BF16 weights take BF16 activations
     * under the same setting where the CPU has AVX512_BF16 (Bf16Dot), and the same holds.
     */
    @ParameterizedTest
    @EnumSource(value = WeightFormat.class, names = {"Q8_0", "Q4_0", "BF16"})
    void eightBitActivationsKeepBatchingBitwiseAndStayCloseToF32(WeightFormat format) {
        Path model = TestModels.model(root, "q8act-" + format, TestModels.tiny(), DType.F32, 23); // 160 columns: an odd number of blocks
        Path adapter = TestModels.adapter(root, "q8act-lora-" + format, model, TestModels.allProjections(4, 5));
        Path other = TestModels.adapter(root, "q8act-lora2-" + format, model, TestModels.spec(8, 8, 6, DType.BF16, false, Map.of(), Map.of()));
        Path image = root.resolve("q8act-" + format + ".img");
        try (ModelDirectory dir = ModelDirectory.open(model)) {
            ResidentImageWriter.write(dir, format, image, Progress.NONE);
        }
        int[][] prompts = {{1, 2, 3, 4, 5}, {9, 8, 7}, {100, 200, 300, 301, 302, 303, 4}, {42, 43}};
        int steps = 4;
        float[][][] exact;
        try (LoadedModel m = LoadedModel.open(model, image, 2)) {
            exact = new float[][][] {runAlone(m, null, prompts[0], steps)};
        }
        String before = System.getProperty(Activations.PROPERTY);
        System.setProperty(Activations.PROPERTY, "q8");
        try (LoadedModel m = LoadedModel.open(model, image, 2)) {
            LoraAdapter a = m.loadAdapter(adapter), b = m.loadAdapter(other);
            LoraAdapter[] adapters = {null, a, a, b}; // at batch 2 and more: CpuBackend's fused products and adapters (FusedLora)
            float[][][] batched = runBatched(m, adapters, prompts, steps);
            for (int s = 0; s < prompts.length; s++) {
                float[][] alone = runAlone(m, adapters[s], prompts[s], steps);
                for (int t = 0; t < alone.length; t++) {
                    assertArrayEquals(alone[t], batched[s][t], format + " sequence " + s + ", step " + t);
                }
            }
            double worst = 0, scale = 0;
            for (int t = 0; t <= steps; t++) { // sequence 0 fed back its own argmax in both runs; compare while the tokens agree
                if (t > 0 && Sampler.argmax(exact[0][t - 1]) != Sampler.argmax(batched[0][t - 1])) {
                    break;
                }
                for (int v = 0; v < exact[0][t].length; v++) {
                    worst = Math.max(worst, Math.abs(exact[0][t][v] - batched[0][t][v]));
                    scale = Math.max(scale, Math.abs(exact[0][t][v]));
                }
            }
            // BF16 keeps F32 activations where the CPU has no AVX512_BF16 (the AVX2 build's run): then nothing moves
            boolean approximate = format != WeightFormat.BF16 || m.backend() instanceof CpuBackend cpu && cpu.bf16Activations();
            assertTrue((approximate ? worst > 0 : worst == 0) && worst < 0.05 * scale, format + ": logits moved by " + worst + " of " + scale);
        } finally {
            if (before == null) {
                System.clearProperty(Activations.PROPERTY);
            } else {
                System.setProperty(Activations.PROPERTY, before);
            }
        }
    }

    /** Prefill alone, then decode alone; the token fed back is fixed so both runs see the same inputs. */
    private static float[][] runAlone(LoadedModel m, LoraAdapter adapter, int[] prompt, int steps) {
        KvCache cache = m.engine().newCache(64);
        List<BatchRow> rows = new ArrayList<>();
        for (int i = 0; i < prompt.length; i++) {
            rows.add(new BatchRow(cache, prompt[i], i, adapter, i == prompt.length - 1));
        }
        float[][] out = new float[steps + 1][];
        out[0] = m.engine().forward(rows)[prompt.length - 1];
        for (int s = 1; s <= steps; s++) {
            int token = Sampler.argmax(out[s - 1]);
            out[s] = m.engine().forward(List.of(new BatchRow(cache, token, prompt.length + s - 1, adapter, true)))[0];
        }
        return out;
    }

    /** All prompts prefilled in one step together, then every decode step batched across sequences. */
    private static float[][][] runBatched(LoadedModel m, LoraAdapter[] adapters, int[][] prompts, int steps) {
        int n = prompts.length;
        KvCache[] caches = new KvCache[n];
        List<BatchRow> rows = new ArrayList<>();
        int[] lastRow = new int[n];
        for (int s = 0; s < n; s++) {
            caches[s] = m.engine().newCache(64);
            for (int i = 0; i < prompts[s].length; i++) {
                lastRow[s] = rows.size();
                rows.add(new BatchRow(caches[s], prompts[s][i], i, adapters[s], i == prompts[s].length - 1));
            }
        }
        float[][][] out = new float[n][steps + 1][];
        float[][] step = m.engine().forward(rows);
        for (int s = 0; s < n; s++) {
            out[s][0] = step[lastRow[s]];
        }
        for (int t = 1; t <= steps; t++) {
            List<BatchRow> decode = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                decode.add(new BatchRow(caches[s], Sampler.argmax(out[s][t - 1]), prompts[s].length + t - 1, adapters[s], true));
            }
            step = m.engine().forward(decode);
            for (int s = 0; s < n; s++) {
                out[s][t] = step[s];
            }
        }
        return out;
    }

    @Test
    void mergedWeightsEqualUnmergedAdapter() {
        Path model = TestModels.model(root, "merge-base", TestModels.tiny(), DType.F32, 31);
        Path adapter = TestModels.adapter(root, "merge-lora", model, TestModels.spec(8, 16, 32, DType.F32, true,
                java.util.Map.of("k_proj", 2), java.util.Map.of("o_proj", 4.0)));
        Path merged = root.resolve("merged");
        try (ModelDirectory dir = ModelDirectory.open(model); LoraAdapter a = LoraAdapter.load(adapter, dir.config())) {
            AdapterMerge.merge(dir, a, merged, DType.F32, Progress.NONE);
        }
        int[] tokens = {3, 14, 15, 92, 65, 35, 89, 79};
        try (LoadedModel base = LoadedModel.open(model, 2); LoadedModel folded = LoadedModel.open(merged, 2)) {
            float[][] unmerged = TestModels.logits(base, base.loadAdapter(adapter), tokens);
            float[][] plain = TestModels.logits(base, null, tokens);
            float[][] mergedLogits = TestModels.logits(folded, null, tokens);
            double worst = 0, moved = 0;
            for (int t = 0; t < tokens.length; t++) {
                assertEquals(unmerged[t].length, mergedLogits[t].length);
                for (int v = 0; v < unmerged[t].length; v++) {
                    worst = Math.max(worst, Math.abs(unmerged[t][v] - mergedLogits[t][v]));
                    moved = Math.max(moved, Math.abs(unmerged[t][v] - plain[t][v]));
                }
            }
            assertTrue(worst < 1e-4, "merged vs unmerged differ by " + worst);
            assertTrue(moved > 1e-2, "the adapter moved logits by only " + moved);
        }
    }
}
