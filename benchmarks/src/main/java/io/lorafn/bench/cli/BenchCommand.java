package io.lorafn.bench.cli;

import io.lorafn.bench.BandwidthProbe;
import io.lorafn.bench.BenchModel;
import io.lorafn.bench.ComputeProbe;
import io.lorafn.bench.JitSettling;
import io.lorafn.bench.Stats;
import io.lorafn.bench.chart.DecodeChart;
import io.lorafn.bench.decode.DecodeBench;
import io.lorafn.bench.decode.DecodeResult;
import io.lorafn.bench.decode.PrefillResult;
import io.lorafn.bench.decode.VersusResult;
import io.lorafn.bench.decode.PairedRuns;
import io.lorafn.kernels.Activations;
import io.lorafn.kernels.MemoryAdvice;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.storage.cli.ImageCommand;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.peft.LoraDtype;
import io.lorafn.worker.engine.LoadedModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Benchmarks are commands, not tests: each prints JSON lines that RESULTS.md records with the command. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks; print one JSON object per configuration.",
        subcommands = {BenchCommand.Decode.class, BenchCommand.Prefill.class, BenchCommand.Bandwidth.class, ProjectionsBenchCommand.class,
                AdaptersBenchCommand.class, JmhCommand.class})
public final class BenchCommand {

    /** Options every engine benchmark shares. */
    static final class EngineOptions {
        @Option(names = "--model", required = true, description = "Hugging Face model directory (e.g. from 'synth model --preset 1b').")
        Path model;

        @Option(names = "--format", defaultValue = "q8_0", description = "Weight format: q8_0, q4_0, bf16 or f32 (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "--image", description = "Resident image to use (default: MODEL/lorafn-FORMAT.img, built on first use).")
        Path image;

        @Option(names = "--threads", defaultValue = "0", description = "Kernel threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--runs", defaultValue = "3", description = "Timed runs per configuration; the median is reported (default: ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--backend", defaultValue = "auto", description = "auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
        String backend;

        @Option(names = "--activations", defaultValue = "f32", description = "What the CPU multiplies Q8_0 and Q4_0 weights with: "
                + "f32 (exact) or q8 (8-bit per block of 32, llama.cpp's method: about 1%% off, less arithmetic). "
                + "Sets LORAFN_ACTIVATIONS for this run (default: ${DEFAULT-VALUE}).")
        String activations;

        @Option(names = "--keep-page-cache", description = "Read the image as the page cache holds it now. By default its cached "
                + "pages not mapped by a running process are dropped first, so it is read back in 2 MiB pages, as after 'image build'.")
        boolean keepPageCache;

        @Option(names = "--warm-up", defaultValue = "20", description = "Longest warm-up per configuration, in seconds: rounds "
                + "until the JIT compiled for under 1%% of three rounds in a row, so that it does not share the cores with the timed "
                + "runs; 0 = a single round (default: ${DEFAULT-VALUE}).")
        double warmUpSeconds;

        int effectiveThreads() {
            return threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        }

        String activations() {
            return Activations.parse(activations).name().toLowerCase(Locale.ROOT);
        }

        /**
         * What this run's weights were multiplied with: {@code f32}; {@code q8} (Q8_0 and Q4_0 with 8-bit activations); or
         * {@code bf16}, BF16 weights with activations rounded to BF16, which {@code q8} means for them on a CPU with
         * AVX512_BF16 (elsewhere BF16 weights keep {@code f32}). Where the products run on a GPU, the setting as given.
         */
        String activationsOf(LoadedModel m) {
            WeightFormat f = ImageCommand.parse(format);
            if (!(m.backend() instanceof CpuBackend cpu)) {
                return activations();
            }
            if (f == WeightFormat.BF16) {
                return cpu.bf16Activations() ? "bf16" : "f32";
            }
            return cpu.activations().quantizes(f) ? "q8" : "f32";
        }

        /** Sets LORAFN_ACTIVATIONS's property, which the CPU backend reads as the model opens, until closed. */
        ScopedProperty activationsForThisRun() {
            return ScopedProperty.set(Activations.PROPERTY, activations());
        }

        long warmUpNanos() {
            if (!(warmUpSeconds >= 0)) {
                throw new IllegalArgumentException("--warm-up takes seconds, at least 0, not " + warmUpSeconds);
            }
            return (long) (warmUpSeconds * 1e9);
        }

        /** Counts a finished warm-up on the progress bar, and prints its warning if it ran out of time before the JIT settled. */
        static void warmedUp(JitSettling.Settled warmUp, String what, ConsoleProgressBar progress) {
            String warning = warmUp.warning(what);
            if (warning != null) {
                System.err.println(warning);
            }
            progress.advance(1);
        }

        /** What computes the model's products: {@code cuda}, or the CPU backend's kernels (see {@link CpuBackend#kernels}). */
        static String kernels(LoadedModel m) {
            return m.backend() instanceof CpuBackend cpu ? cpu.kernels() : m.backend().name();
        }

        /** The model, opened under {@link #activationsForThisRun}. */
        LoadedModel open() {
            WeightFormat f = ImageCommand.parse(format);
            Path img = BenchModel.image(model, f, image, new ConsoleProgressBar());
            if (!keepPageCache) { // a tool that read it through a plain mapping leaves 4 KiB pages: runs then depend on history
                MemoryAdvice.dropCachedPages(img);
            }
            return LoadedModel.open(model, img, effectiveThreads(), backend);
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "Decode tokens/s per batch size and adapter mix, as a fraction of the memory bandwidth read beside each run "
                    + "(on the CPU; where the products run on a GPU the bandwidth fields are null).")
    static final class Decode implements Callable<Integer> {
        @Mixin
        EngineOptions engine;

        @Option(names = "--batch", defaultValue = "1,4,8", split = ",", description = "Batch sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> batches;

        @Option(names = "--adapters", defaultValue = "none", split = ",",
                description = "none, same (one adapter for all) or distinct (one per sequence); a list runs each (default: ${DEFAULT-VALUE}).")
        List<String> adapterModes;

        @Mixin
        AdapterSpecOptions adapter;

        @Option(names = "--tokens", defaultValue = "64", description = "Decode steps timed per run (default: ${DEFAULT-VALUE}).")
        int tokens;

        @Option(names = "--json", description = "JSON lines on stdout (always printed; the flag is accepted for scripts).")
        boolean json;

        @Option(names = "--chart", description = "Also draw tokens/s by batch size and adapter mix into this PNG.")
        Path chart;

        @Option(names = "--versus-none", description = "Also decode each adapter mix other than none in turns with the same batch "
                + "without adapters, a step of each, and print the ratio of their tokens/s: both see the same moments of the host, so "
                + "the ratio holds where the bandwidth moves between runs.")
        boolean versusNone;

        @Option(names = "--lora-dtype", defaultValue = "auto", description = "What adapters are held in once loaded, as vLLM's "
                + "--lora-dtype: stored (as the file has them, exact), bf16 (narrowed: half the bytes a step reads), or auto "
                + "(bf16 with --activations q8, else stored). Sets LORAFN_LORA_DTYPE for this run (default: ${DEFAULT-VALUE}).")
        String loraDtype;

        @Override
        public Integer call() {
            List<Projection> projections = adapter.projections();
            DType dtype = adapter.dtype();
            engine.warmUpNanos(); // a bad value stops the command before any model opens
            try (ScopedProperty a = engine.activationsForThisRun();
                 ScopedProperty l = ScopedProperty.set(LoraDtype.PROPERTY, loraDtypeSetting())) { // read as adapters load
                return measure(projections, dtype);
            }
        }

        /** The host's read bandwidth probe, or null where the products run on a GPU: the host's memory is not what they read. */
        private BandwidthProbe hostProbe(LoadedModel m) {
            return m.backend() instanceof CpuBackend ? new BandwidthProbe(1L << 30, engine.effectiveThreads()) : null;
        }

        /** {@code --lora-dtype} as the property takes it; a bad value stops the command before any model opens. */
        private String loraDtypeSetting() {
            LoraDtype.resolve(loraDtype, Activations.parse(engine.activations));
            return loraDtype.trim().toLowerCase(Locale.ROOT);
        }

        private int measure(List<Projection> projections, DType dtype) {
            List<DecodeResult> results = new ArrayList<>();
            try (LoadedModel m = engine.open(); BandwidthProbe probe = hostProbe(m)) {
                if (probe != null) {
                    System.err.printf(Locale.ROOT, "memory read bandwidth: %.1f GB/s (%d threads, 1 GiB, median of 5); read again beside every run%n",
                            probe.median(5), engine.effectiveThreads());
                } else {
                    System.err.println("products on " + EngineOptions.kernels(m) + ": no host bandwidth is read, and the JSON's bandwidth fields are null");
                }
                ConsoleProgressBar progress = new ConsoleProgressBar();
                int perConfiguration = (engine.runs + 1) * (versusNone ? 2 : 1);
                progress.start("decode runs", (long) adapterModes.size() * batches.size() * perConfiguration);
                for (String mode : adapterModes) {
                    for (int batch : batches) {
                        LoraAdapter[] adapters = adapters(m, mode, batch, projections, dtype);
                        EngineOptions.warmedUp(DecodeBench.warmUp(m.engine(), adapters, engine.warmUpNanos()), "batch " + batch + ", adapters " + mode,
                                progress);
                        PairedRuns runs = DecodeBench.run(m.engine(), adapters, tokens, engine.runs, probe, 3, () -> progress.advance(1));
                        long perToken = DecodeBench.bytesPerStep(m.engine(), adapters) / batch;
                        String held = mode.equals("none") ? "none" : adapters[0].modules().get(0).a().format().name().toLowerCase(Locale.ROOT);
                        DecodeResult r = new DecodeResult(EngineOptions.kernels(m), engine.format.toLowerCase(Locale.ROOT), engine.activationsOf(m), batch, mode, mode.equals("none") ? 0 : adapter.rank,
                                held, runs.medianTokensPerS(), perToken, runs.medianBandwidthGbS(), runs.minBandwidthGbS(), runs.maxBandwidthGbS(),
                                runs.medianFraction(perToken), m.imageHugePageShare().orElse(Double.NaN));
                        System.out.println(r.toJson());
                        results.add(r);
                        if (versusNone && !mode.equals("none")) {
                            printVersusNone(m, mode, adapters, progress);
                        }
                    }
                }
                progress.done();
            }
            if (chart != null) {
                DecodeChart.write(results, chart);
                System.err.println("chart: " + chart);
            }
            return 0;
        }

        /**
         * One JSON line: this adapter mix and the same batch without adapters decoded in turns, step by step, and the ratio of
         * their tokens/s.
         * Only batches of one size go in turns: a batch-1 step right after a batch-8 step ran about 9% slower than after
         * another batch-1 step, while a batch beside itself read within 1% (RESULTS.md, thirteenth session).
         */
        private void printVersusNone(LoadedModel m, String mode, LoraAdapter[] adapters, ConsoleProgressBar progress) {
            int batch = adapters.length;
            EngineOptions.warmedUp(DecodeBench.warmUpInTurns(m.engine(), new LoraAdapter[batch], adapters, engine.warmUpNanos()),
                    "batch " + batch + ", adapters " + mode + " in turns with none", progress);
            DecodeBench.InterleavedRuns runs = DecodeBench.interleaved(m.engine(), new LoraAdapter[batch], adapters, tokens, engine.runs,
                    () -> progress.advance(1));
            System.out.println(new VersusResult(EngineOptions.kernels(m), engine.format.toLowerCase(Locale.ROOT), engine.activationsOf(m), batch, mode,
                    Stats.median(runs.otherTokensPerS()), Stats.median(runs.baseTokensPerS()), runs.medianRatio()).toJson());
        }

        private LoraAdapter[] adapters(LoadedModel m, String mode, int batch, List<Projection> projections, DType dtype) {
            LoraAdapter[] out = new LoraAdapter[batch];
            switch (mode) {
                case "none" -> { }
                case "same" -> java.util.Arrays.fill(out, m.loadAdapter(BenchModel.adapter(engine.model, adapter.rank, projections, dtype, 0)));
                case "distinct" -> {
                    for (int i = 0; i < batch; i++) {
                        out[i] = m.loadAdapter(BenchModel.adapter(engine.model, adapter.rank, projections, dtype, i));
                    }
                }
                default -> throw new IllegalArgumentException("--adapters takes none, same or distinct, not '" + mode + "'");
            }
            return out;
        }
    }

    @Command(name = "prefill", mixinStandardHelpOptions = true, description = "Prompt tokens/s of one prefill step and, for exact "
            + "products on the CPU, as a fraction of the F32 multiply-adds the machine does, measured beside each length.")
    static final class Prefill implements Callable<Integer> {
        @Mixin
        EngineOptions engine;

        @Option(names = "--prompt-tokens", defaultValue = "128", split = ",", description = "Prompt lengths (default: ${DEFAULT-VALUE}).")
        List<Integer> lengths;

        @Option(names = "--json", description = "JSON lines on stdout (always printed; the flag is accepted for scripts, as decode's).")
        boolean json;

        @Override
        public Integer call() {
            engine.warmUpNanos(); // a bad value stops the command before the model opens
            try (ScopedProperty a = engine.activationsForThisRun(); LoadedModel m = engine.open()) {
                // exact products on the CPU are bound by F32 multiply-adds: their share of the machine's, read beside the runs
                boolean f32MultiplyAdds = engine.activationsOf(m).equals("f32") && m.backend() instanceof CpuBackend;
                try (ComputeProbe probe = f32MultiplyAdds ? new ComputeProbe(engine.effectiveThreads()) : null) {
                    ConsoleProgressBar progress = new ConsoleProgressBar();
                    progress.start("prefill runs", (long) lengths.size() * (engine.runs + 1));
                    for (int n : lengths) {
                        EngineOptions.warmedUp(DecodeBench.warmUpPrefill(m.engine(), null, n, engine.warmUpNanos()), n + " prompt tokens", progress);
                        double before = probe != null ? probe.median(3) : Double.NaN;
                        double tps = DecodeBench.prefillTokensPerSecond(m.engine(), null, n, engine.runs, () -> progress.advance(1));
                        double ceiling = probe != null ? (before + probe.median(3)) / 2 : Double.NaN;
                        System.out.println(new PrefillResult(EngineOptions.kernels(m), engine.format.toLowerCase(Locale.ROOT), engine.activationsOf(m), n,
                                tps, DecodeBench.multiplyAddsPerPromptToken(m.engine(), n), ceiling).toJson());
                    }
                    progress.done();
                }
            }
            return 0;
        }
    }

    @Command(name = "bandwidth", mixinStandardHelpOptions = true, description = "Memory read bandwidth: read-only passes over a buffer.")
    static final class Bandwidth implements Callable<Integer> {
        @Option(names = "--threads", defaultValue = "0", description = "Threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--mib", defaultValue = "1024", description = "Buffer size in MiB, at least 1024 (default: ${DEFAULT-VALUE}).")
        long mib;

        @Override
        public Integer call() {
            int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
            System.out.printf(Locale.ROOT, "{\"threads\": %d, \"bytes\": %d, \"bandwidth_gb_s\": %.2f}%n", t, mib << 20,
                    BandwidthProbe.measure(Math.max(1024, mib) << 20, t, 5));
            return 0;
        }
    }

}
