package io.lorafn.bench.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/** {@code lorafn bench jmh}: the kernel microbenchmarks (JMH), with JMH's own options. */
@Command(name = "jmh", mixinStandardHelpOptions = false, description = {
        "Runs the kernel microbenchmarks with JMH: MatmulBenchmark (each weight format, batch 1 and 8, 1 and 2 threads, on an",
        "8192 x 2048 matrix) and LoraBenchmark (SGMV at rank 16, one adapter or eight, F32 and BF16). Arguments go to JMH as they are,",
        "for example: lorafn bench jmh MatmulBenchmark -p format=Q8_0 -rf json -rff jmh.json ('-h' lists JMH's options)."})
public final class JmhCommand implements Callable<Integer> {
    /** Everything after 'jmh', in order: a benchmark regex, -p, -f, -wi, -i, -rf, ... */
    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> jmh = new ArrayList<>(args);
        if (jmh.stream().noneMatch(a -> !a.startsWith("-"))) {
            jmh.add(0, "io\\.lorafn\\.bench\\.jmh\\..*"); // every lorafn benchmark, not JMH's own samples
        }
        org.openjdk.jmh.Main.main(jmh.toArray(String[]::new));
        return 0;
    }
}
