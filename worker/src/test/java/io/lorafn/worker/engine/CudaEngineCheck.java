package io.lorafn.worker.engine;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole engine on the CUDA backend against the CPU backend: the tiny synthetic model as a Q8_0 and a
 * BF16 image, with and without a rank-8 adapter on every projection; the logits of every position agree
 * within 1e-3 of their largest magnitude, and greedy generation picks the same tokens. {@code main} runs it
 * on a lent GPU machine; {@link CudaEngineTest} runs it under JUnit where a device is.
 */
public final class CudaEngineCheck {
    private CudaEngineCheck() {
    }

    public static List<String> check(Path root) throws Exception {
        List<String> report = new ArrayList<>();
        Path model = TestModels.model(root, "m", TestModels.tiny(), DType.F32, 3);
        Path adapterDir = TestModels.adapter(root, "a", model, TestModels.allProjections(8, 5));
        int[] tokens = {1, 17, 99, 3, 250, 42, 7, 300, 12};
        for (WeightFormat format : List.of(WeightFormat.Q8_0, WeightFormat.BF16)) {
            Path image = root.resolve("m-" + format + ".img");
            try (ModelDirectory m = ModelDirectory.open(model)) {
                ResidentImageWriter.write(m, format, image, Progress.NONE);
            }
            try (LoadedModel cpu = LoadedModel.open(model, image, 1, "cpu"); LoadedModel cuda = LoadedModel.open(model, image, 1, "cuda")) {
                for (boolean withAdapter : new boolean[] {false, true}) {
                    LoraAdapter a = withAdapter ? cpu.loadAdapter(adapterDir) : null;
                    LoraAdapter b = withAdapter ? cuda.loadAdapter(adapterDir) : null;
                    float[][] expected = TestModels.logits(cpu, a, tokens);
                    float[][] got = TestModels.logits(cuda, b, tokens);
                    double scale = 0, worst = 0;
                    int argmaxMismatch = 0;
                    for (int p = 0; p < expected.length; p++) {
                        int ea = 0, ga = 0;
                        for (int v = 0; v < expected[p].length; v++) {
                            scale = Math.max(scale, Math.abs(expected[p][v]));
                            worst = Math.max(worst, Math.abs(expected[p][v] - got[p][v]));
                            ea = expected[p][v] > expected[p][ea] ? v : ea;
                            ga = got[p][v] > got[p][ga] ? v : ga;
                        }
                        argmaxMismatch += ea == ga ? 0 : 1;
                    }
                    String what = String.format("%s image, %s: %d positions, worst |difference| %.2g of logits up to %.2g; greedy tokens %s",
                            format, withAdapter ? "rank-8 adapter on every projection" : "no adapter", expected.length, worst, scale,
                            argmaxMismatch == 0 ? "identical" : argmaxMismatch + " differ");
                    if (worst > 1e-3 * scale || argmaxMismatch > 0) {
                        throw new AssertionError(what);
                    }
                    report.add(what);
                }
                report.add("backend: " + cuda.backendName());
            }
        }
        return report;
    }

    public static void main(String[] args) throws Exception {
        Path root = Files.createTempDirectory("lorafn-cuda-engine");
        check(root).forEach(System.out::println);
        System.out.println("the engine on CUDA agrees with the engine on the CPU");
    }
}
