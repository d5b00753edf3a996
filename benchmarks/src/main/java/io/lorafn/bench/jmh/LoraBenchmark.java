package io.lorafn.bench.jmh;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.cpu.CpuBackend;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
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
 * The batched LoRA kernel (SGMV shrink then expand) for a batch of 8 rows on one projection of the 1b
 * preset's width (2048 → 2048): all rows on one adapter, or each row on its own, at rank 16, with A and B
 * in F32 or BF16. Distinct adapters read 8 times the adapter bytes; the kernel's job is to keep that cost
 * close to the bytes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class LoraBenchmark {
    @Param({"same", "distinct"})
    public String adapters;

    @Param({"F32", "BF16"})
    public String dtype;

    @Param({"16"})
    public int rank;

    private Arena arena;
    private CpuBackend backend;
    private List<LoraSegment> segments;
    private float[][] x;
    private float[][] y;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        backend = new CpuBackend(1);
        WeightFormat format = WeightFormat.valueOf(dtype);
        x = KernelState.activations(8, 2048, 3);
        y = new float[8][2048];
        segments = new ArrayList<>();
        if (adapters.equals("same")) {
            segments.add(new LoraSegment(KernelState.matrix("a", format, rank, 2048, 0.02, 4, arena),
                    KernelState.matrix("bT", format, rank, 2048, 0.02, 5, arena), 2f, new int[] {0, 1, 2, 3, 4, 5, 6, 7}));
        } else {
            for (int r = 0; r < 8; r++) {
                segments.add(new LoraSegment(KernelState.matrix("a" + r, format, rank, 2048, 0.02, 10 + r, arena),
                        KernelState.matrix("bT" + r, format, rank, 2048, 0.02, 20 + r, arena), 2f, new int[] {r}));
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public float[][] addLora() {
        backend.addLora(segments, x, y);
        return y;
    }
}
