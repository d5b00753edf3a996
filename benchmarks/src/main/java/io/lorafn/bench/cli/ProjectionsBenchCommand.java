package io.lorafn.bench.cli;

import io.lorafn.bench.Stats;
import io.lorafn.kernels.Activations;
import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.storage.cli.ImageCommand;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * What a batch's distinct adapters cost the projections alone, measured finer than {@code bench decode --versus-none} can:
 * a model's seven projections over its layers through {@code Backend.projectEach}, a step without adapters and a step with
 * one adapter a sequence in turns, many pairs in one JVM. No attention, norms or head, so the ratio reads lower than the
 * engine's. The weights are synthetic bytes in the format's layout (the products' speed does not depend on the values).
 */
@Command(name = "projections", mixinStandardHelpOptions = true,
        description = "A model's projections over its layers at one batch, without adapters and with one adapter a sequence, "
                + "a step of each in turns; prints the median step of each and the median of the pairs' ratios.")
final class ProjectionsBenchCommand implements Callable<Integer> {
    @Option(names = "--format", defaultValue = "q4_0", description = "Weight format: q8_0, q4_0, bf16 or f32 (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--activations", defaultValue = "q8", description = "f32 (exact) or q8 (8-bit; for BF16, BF16 where the CPU "
            + "has AVX512_BF16) (default: ${DEFAULT-VALUE}).")
    String activations;

    @Option(names = "--batch", defaultValue = "8", description = "Sequences a step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--rank", defaultValue = "16", description = "Adapter rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--adapter-dtype", defaultValue = "bf16", description = "f32 or bf16: what the adapters are held in (default: ${DEFAULT-VALUE}).")
    String adapterDtype;

    @Option(names = "--hidden", defaultValue = "2048", description = "Hidden size (default: ${DEFAULT-VALUE}, the 1b preset's).")
    int hidden;

    @Option(names = "--intermediate", defaultValue = "8192", description = "MLP size (default: ${DEFAULT-VALUE}).")
    int intermediate;

    @Option(names = "--kv", defaultValue = "512", description = "Key and value projections' size (default: ${DEFAULT-VALUE}).")
    int kv;

    @Option(names = "--layers", defaultValue = "16", description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--pairs", defaultValue = "150", description = "Timed pairs of steps, after a fifth as many untimed (default: ${DEFAULT-VALUE}).")
    int pairs;

    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    /** q, k, v, o, gate, up, down, and the groups that share an input (as the engine calls them). */
    private static final int[][] GROUPS = {{0, 1, 2}, {3}, {4, 5}, {6}};

    @Override
    public Integer call() {
        WeightFormat weights = ImageCommand.parse(format);
        WeightFormat adapters = switch (adapterDtype.trim().toLowerCase(Locale.ROOT)) {
            case "f32" -> WeightFormat.F32;
            case "bf16" -> WeightFormat.BF16;
            default -> throw new IllegalArgumentException("--adapter-dtype is f32 or bf16, not " + adapterDtype);
        };
        if (batch < 1 || rank < 1 || layers < 1 || pairs < 1) {
            throw new IllegalArgumentException("--batch, --rank, --layers and --pairs must be at least 1");
        }
        int[][] shapes = {{hidden, hidden}, {kv, hidden}, {kv, hidden}, {hidden, hidden}, {intermediate, hidden}, {intermediate, hidden},
                {hidden, intermediate}};
        int cores = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        ConsoleProgressBar progress = new ConsoleProgressBar();
        try (Arena arena = Arena.ofShared(); CpuBackend cpu = new CpuBackend(cores, Activations.parse(activations))) {
            progress.start("weights and adapters", layers);
            Layer[] model = new Layer[layers];
            for (int l = 0; l < layers; l++) {
                model[l] = Layer.of(arena, shapes, weights, adapters, rank, batch);
                progress.advance(1);
            }
            progress.done();
            SplittableRandom random = new SplittableRandom(7);
            float[][] xHidden = inputs(random, hidden), xIntermediate = inputs(random, intermediate);
            List<float[][]> outs = new ArrayList<>();
            for (int[] s : shapes) {
                outs.add(new float[batch][s[0]]);
            }
            int warmUp = Math.max(1, pairs / 5);
            double[] none = new double[pairs], with = new double[pairs], ratio = new double[pairs];
            progress.start("pairs of steps", warmUp + pairs);
            for (int p = -warmUp; p < pairs; p++) {
                double bare = step(cpu, model, false, xHidden, xIntermediate, outs), adapted = step(cpu, model, true, xHidden, xIntermediate, outs);
                if (p >= 0) {
                    none[p] = bare;
                    with[p] = adapted;
                    ratio[p] = bare / adapted;
                }
                progress.advance(1);
            }
            progress.done();
            System.out.printf(Locale.ROOT, "{\"kernels\": \"%s\", \"format\": \"%s\", \"activations\": \"%s\", \"batch\": %d, \"rank\": %d, "
                            + "\"adapter_dtype\": \"%s\", \"layers\": %d, \"pairs\": %d, \"none_ms\": %.3f, \"distinct_ms\": %.3f, "
                            + "\"ratio\": %.3f, \"ratio_q1\": %.3f, \"ratio_q3\": %.3f}%n",
                    cpu.kernels(), format.toLowerCase(Locale.ROOT), activations.toLowerCase(Locale.ROOT), batch, rank,
                    adapters.name().toLowerCase(Locale.ROOT), layers, pairs, Stats.median(none), Stats.median(with), Stats.median(ratio),
                    Stats.percentile(ratio, 0.25), Stats.percentile(ratio, 0.75));
        }
        return 0;
    }

    /** One step of every layer's projections, with or without the adapters; its milliseconds. */
    private double step(CpuBackend cpu, Layer[] model, boolean adapted, float[][] xHidden, float[][] xIntermediate, List<float[][]> outs) {
        long start = System.nanoTime();
        for (Layer layer : model) {
            for (int g = 0; g < GROUPS.length; g++) {
                List<WeightMatrix> ws = new ArrayList<>();
                List<float[][]> into = new ArrayList<>();
                for (int p : GROUPS[g]) {
                    ws.add(layer.weights[p]);
                    into.add(outs.get(p));
                }
                cpu.projectEach(ws, adapted ? layer.adapters.get(g) : List.of(), g == 3 ? xIntermediate : xHidden, into, batch);
            }
        }
        return (System.nanoTime() - start) / 1e6;
    }

    private float[][] inputs(SplittableRandom random, int width) {
        float[][] x = new float[batch][width];
        for (float[] row : x) {
            for (int i = 0; i < width; i++) {
                row[i] = (float) random.nextGaussian();
            }
        }
        return x;
    }

    /** A layer's seven weight matrices, and per projection group one segment a sequence, each its own adapter. */
    private record Layer(WeightMatrix[] weights, List<List<List<LoraSegment>>> adapters) {
        static Layer of(Arena arena, int[][] shapes, WeightFormat weights, WeightFormat adapters, int rank, int batch) {
            WeightMatrix[] w = new WeightMatrix[shapes.length];
            List<List<LoraSegment>> perProjection = new ArrayList<>();
            for (int p = 0; p < shapes.length; p++) {
                int out = shapes[p][0], in = shapes[p][1];
                w[p] = filled(arena, weights, out, in, 0x11); // F16 scales of about 7e-5, small weights: no denormals
                List<LoraSegment> segments = new ArrayList<>();
                for (int s = 0; s < batch; s++) {
                    segments.add(new LoraSegment(filled(arena, adapters, rank, in, 0x3c), filled(arena, adapters, rank, out, 0x3c), 2f, new int[] {s}));
                }
                perProjection.add(segments);
            }
            List<List<List<LoraSegment>>> groups = new ArrayList<>();
            for (int[] group : GROUPS) {
                List<List<LoraSegment>> g = new ArrayList<>();
                for (int p : group) {
                    g.add(perProjection.get(p));
                }
                groups.add(g);
            }
            return new Layer(w, groups);
        }

        private static WeightMatrix filled(Arena arena, WeightFormat format, int rows, int cols, int value) {
            MemorySegment data = arena.allocate(format.matrixBytes(rows, cols), 64);
            data.fill((byte) value);
            return new WeightMatrix("synthetic", format, data, rows, cols);
        }
    }
}
