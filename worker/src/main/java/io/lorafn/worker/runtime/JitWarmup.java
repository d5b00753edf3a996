package io.lorafn.worker.runtime;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.SamplingParams;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SchedulerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Dummy work before a worker reports WARM, so the first tenant's call does not run its kernels
 * interpreted. The JIT compiles code, not shapes: the same kernels run on a tiny synthetic model in the
 * served weight format, with and without a LoRA adapter, compile in a fraction of the time the served
 * model's own products would take (on the 1b preset: about 0.3 s instead of 1.5 s a round).
 */
public final class JitWarmup {
    private JitWarmup() {
    }

    /** Runs {@code rounds} generations of {@code promptTokens} prompt tokens and 4 generated ones; returns the milliseconds taken. */
    public static long run(Scheduler scheduler, int vocabSize, int promptTokens, int rounds) throws Exception {
        return run(scheduler, vocabSize, promptTokens, rounds, null);
    }

    /**
     * A snapshot's training run: {@code rounds} generations on the served model itself, cycling through no
     * adapter and synthetic rank-16 adapters on every projection in F32 and BF16, each made compute-ready the
     * way a fetched one is ({@link LoraAdapter#fromVerifiedBytes} from native memory). The AOT cache then
     * holds the classes and profiles of the path a restored worker's first call takes, LoRA included.
     */
    public static long trainOnServedModel(LoadedModel model, Scheduler scheduler, Path modelDir, int promptTokens, int rounds, Progress progress)
            throws Exception {
        long start = System.nanoTime();
        Path dir = Files.createTempDirectory("lorafn-training-adapters");
        List<LoraAdapter> adapters = new java.util.ArrayList<>();
        adapters.add(null);
        try {
            for (DType dtype : List.of(DType.F32, DType.BF16)) {
                Path out = dir.resolve(dtype.name());
                SyntheticAdapter.write(out, modelDir, model.config(), new SyntheticAdapter.Spec(16, 32, List.of(Projection.values()), 7, dtype,
                        false, java.util.Map.of(), java.util.Map.of()));
                byte[] weights = Files.readAllBytes(out.resolve(LoraAdapter.WEIGHTS_FILE));
                java.lang.foreign.MemorySegment fetched = io.lorafn.storage.NativeMemory.allocateUninitialized(weights.length,
                        java.lang.foreign.Arena.ofAuto());
                fetched.copyFrom(java.lang.foreign.MemorySegment.ofArray(weights));
                adapters.add(LoraAdapter.fromVerifiedBytes(out, Files.readAllBytes(out.resolve(LoraAdapter.CONFIG_FILE)), fetched, model.config()));
            }
            progress.start("snapshot training", rounds);
            for (int r = 0; r < rounds; r++) {
                generate(scheduler, model.config().vocabSize(), promptTokens, r, adapters.get(r % adapters.size()));
                progress.advance(1);
            }
            progress.done();
        } finally {
            adapters.stream().filter(a -> a != null).forEach(LoraAdapter::close);
            delete(dir);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static void generate(Scheduler scheduler, int vocabSize, int promptTokens, int round, LoraAdapter adapter) throws Exception {
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < promptTokens; i++) {
            prompt[i] = 1 + (i * 7919 + round) % (vocabSize - 1);
        }
        scheduler.submit(new GenerationRequest(prompt, adapter, 4, List.of(), SamplingParams.GREEDY), (id, text) -> { })
                .result().get(5, TimeUnit.MINUTES);
    }

    private static long run(Scheduler scheduler, int vocabSize, int promptTokens, int rounds, LoraAdapter adapter) throws Exception {
        long start = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            generate(scheduler, vocabSize, promptTokens, r, r % 2 == 0 ? adapter : null);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /**
     * Warms the kernels of {@code format} on a tiny synthetic model written to a scratch directory, half the
     * rounds with a rank-8 adapter on every projection; returns the milliseconds taken.
     */
    public static long onTinyModel(WeightFormat format, int threads, int rounds) throws Exception {
        long start = System.nanoTime();
        Path dir = Files.createTempDirectory("lorafn-warmup");
        try {
            Path model = dir.resolve("model");
            SyntheticModel.write(model, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
            Path image = dir.resolve("tiny.img");
            try (ModelDirectory m = ModelDirectory.open(model)) {
                ResidentImageWriter.write(m, format, image, Progress.NONE);
                SyntheticAdapter.write(dir.resolve("adapter"), model, m.config(), new SyntheticAdapter.Spec(8, 16, List.of(Projection.values()), 1));
            }
            try (LoadedModel tiny = LoadedModel.open(model, image, threads);
                 Scheduler scheduler = new Scheduler(tiny.engine(), tiny.tokenizer(), new SchedulerConfig(16, 256, 8L << 20))) {
                scheduler.start();
                run(scheduler, tiny.config().vocabSize(), 32, rounds, tiny.loadAdapter(dir.resolve("adapter")));
            }
        } finally {
            delete(dir);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
