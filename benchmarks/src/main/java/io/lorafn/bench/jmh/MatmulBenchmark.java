package io.lorafn.bench.jmh;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One matrix product per weight format and batch size, on a matrix the size of the 1b preset's MLP
 * projection (8192 × 2048, 16.8 M weights). Repeating one product keeps the matrix in the last-level cache
 * where that cache is large (480 MiB on the development machine), so these are the kernels' compute
 * speeds; {@code lorafn bench decode} measures them against memory bandwidth over a whole model.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBenchmark {
    @Param({"Q8_0", "Q4_0", "BF16", "F32"})
    public String format;

    @Param({"1", "8"})
    public int batch;

    @Param({"1", "2"})
    public int threads;

    /** What Q8_0 and Q4_0 weights multiply (the other formats ignore it). */
    @Param({"f32", "q8"})
    public String activations;

    private Arena arena;
    private CpuBackend backend;
    private WeightMatrix w;
    private float[][] x;
    private float[][] out;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        backend = new CpuBackend(threads, Activations.parse(activations));
        w = KernelState.matrix("w", WeightFormat.valueOf(format), 8192, 2048, 0.05, 1, arena);
        x = KernelState.activations(batch, 2048, 2);
        out = new float[batch][8192];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public float[][] matmul() {
        backend.matmul(w, x, out, batch);
        return out;
    }
}
