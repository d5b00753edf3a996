package io.lorafn.kernels.cuda;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The CUDA backend against the CPU backend on random inputs: each product format at batch sizes that
 * cross the device's batch chunk, and the batched LoRA with ranks 16, 8 and 4 in mixed F32 and BF16 and
 * rows without an adapter. {@code main} runs it where there is no JUnit (a lent GPU machine).
 */
public final class CudaAgreement {
    static final double TOLERANCE = 1e-4;

    private CudaAgreement() {
    }

    /** The worst relative error of each check, or an exception when one exceeds the tolerance. */
    public static List<String> check(CudaBackend cuda) {
        List<String> report = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        try (Arena arena = Arena.ofConfined(); CpuBackend cpu = new CpuBackend(1)) {
            for (WeightFormat f : List.of(WeightFormat.Q8_0, WeightFormat.BF16, WeightFormat.F32)) {
                WeightMatrix w = matrix(random, f, 1000, 1024, 0.05, arena);
                for (int batch : new int[] {1, 5, 20}) {
                    float[][] x = random(random, batch, 1024);
                    float[][] expected = new float[batch][1000], got = new float[batch][1000];
                    cpu.matmul(w, x, expected, batch);
                    cuda.matmul(w, x, got, batch);
                    report.add(compare(f + " matmul, batch " + batch, expected, got));
                }
            }
            int[] ranks = {16, 8, 4};
            WeightFormat[] aFormats = {WeightFormat.F32, WeightFormat.BF16, WeightFormat.F32};
            WeightFormat[] bFormats = {WeightFormat.F32, WeightFormat.BF16, WeightFormat.BF16};
            int[][] rows = {{0, 3, 7}, {2}, {4, 5}};
            List<LoraSegment> segments = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                segments.add(new LoraSegment(matrix(random, aFormats[s], ranks[s], 2048, 0.05, arena),
                        matrix(random, bFormats[s], ranks[s], 512, 0.05, arena), 1.5f + s, rows[s]));
            }
            float[][] x = random(random, 8, 2048);
            float[][] y0 = random(random, 8, 512);
            float[][] expected = copy(y0), got = copy(y0);
            cpu.addLora(segments, x, expected);
            cuda.addLora(segments, x, got);
            report.add(compare("SGMV, ranks 16/8/4, rows 1 and 6 without an adapter", expected, got));
            for (int r : new int[] {1, 6}) {
                for (int i = 0; i < 512; i++) {
                    if (got[r][i] != y0[r][i]) {
                        throw new AssertionError("row " + r + " has no adapter but changed at " + i);
                    }
                }
            }
            report.add(projectEach(cuda, cpu, random, segments, x, arena));
        }
        return report;
    }

    /**
     * A group of projections with adapters on some (the engine's q, k, v): on the device in one round trip, the bits
     * of its products then its SGMV one call at a time, and the CPU's results within tolerance.
     */
    private static String projectEach(CudaBackend cuda, CpuBackend cpu, SplittableRandom random, List<LoraSegment> segments,
                                      float[][] x, Arena arena) {
        List<WeightMatrix> ws = List.of(matrix(random, WeightFormat.Q8_0, 512, 2048, 0.05, arena),
                matrix(random, WeightFormat.BF16, 512, 2048, 0.05, arena), matrix(random, WeightFormat.Q8_0, 512, 2048, 0.05, arena));
        List<List<LoraSegment>> lora = List.of(segments, List.of(), segments.subList(1, 3));
        int batch = x.length;
        List<float[][]> fused = List.of(new float[batch][512], new float[batch][512], new float[batch][512]);
        List<float[][]> oneByOne = List.of(new float[batch][512], new float[batch][512], new float[batch][512]);
        List<float[][]> onCpu = List.of(new float[batch][512], new float[batch][512], new float[batch][512]);
        cuda.projectEach(ws, lora, x, fused, batch);
        cpu.projectEach(ws, lora, x, onCpu, batch);
        for (int i = 0; i < ws.size(); i++) {
            cuda.matmul(ws.get(i), x, oneByOne.get(i), batch);
            cuda.addLora(lora.get(i), x, oneByOne.get(i));
            for (int b = 0; b < batch; b++) {
                if (!java.util.Arrays.equals(fused.get(i)[b], oneByOne.get(i)[b])) {
                    throw new AssertionError("projection " + i + ", row " + b + ": one round trip changed the bits of one call at a time");
                }
            }
        }
        float[][] all = new float[3 * batch][], allCpu = new float[3 * batch][];
        for (int i = 0; i < 3; i++) {
            System.arraycopy(fused.get(i), 0, all, i * batch, batch);
            System.arraycopy(onCpu.get(i), 0, allCpu, i * batch, batch);
        }
        return compare("projectEach: Q8_0, BF16, Q8_0 with adapters on two, batch " + batch, allCpu, all);
    }

    private static String compare(String what, float[][] expected, float[][] got) {
        double worst = 0;
        for (int b = 0; b < expected.length; b++) {
            for (int i = 0; i < expected[b].length; i++) {
                worst = Math.max(worst, Math.abs(expected[b][i] - got[b][i]) / (1 + Math.abs(expected[b][i])));
            }
        }
        if (worst > TOLERANCE) {
            throw new AssertionError(what + ": worst relative error " + worst + " over " + TOLERANCE);
        }
        return String.format("%-55s worst relative error %.2g", what, worst);
    }

    static WeightMatrix matrix(SplittableRandom random, WeightFormat f, int rows, int cols, double scale, Arena arena) {
        MemorySegment data = arena.allocate(f.matrixBytes(rows, cols), 64);
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                row[c] = (float) ((random.nextDouble() * 2 - 1) * scale);
            }
            CpuBackend.encodeRow(f, row, data, f.rowOffset(r, cols));
        }
        return new WeightMatrix("m", f, data, rows, cols);
    }

    private static float[][] random(SplittableRandom random, int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        return m;
    }

    private static float[][] copy(float[][] m) {
        float[][] c = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            c[i] = m[i].clone();
        }
        return c;
    }

    public static void main(String[] args) {
        try (CudaBackend cuda = CudaBackend.open(0)) {
            System.out.println("backend: " + cuda.name());
            check(cuda).forEach(System.out::println);
            cuda.suspend(); // as before a CRaC checkpoint: no context, no device buffer
            cuda.resume();
            check(cuda).forEach(line -> System.out.println("after suspend and resume: " + line));
            System.out.println("the CUDA backend agrees with the CPU backend, before and after letting go of the device");
        }
        try {
            CudaBackend.open(0, Long.MAX_VALUE).close();
            throw new AssertionError("a backend opened with more memory needed than any device has");
        } catch (IllegalStateException e) {
            System.out.println("refused as it should be: " + e.getMessage());
        }
    }
}
