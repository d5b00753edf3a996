package io.lorafn.bench.cli;

import io.lorafn.bench.BenchModel;
import io.lorafn.bench.adapters.AdapterLoadBench;
import io.lorafn.bench.adapters.AdapterLoadResult;
import io.lorafn.storage.cli.ConsoleProgressBar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "adapters", mixinStandardHelpOptions = true,
        description = "Time for an adapter to become compute-ready from the object store (cold) and from RAM (warm), "
                + "through the embedded S3 server and the worker's adapter cache.")
final class AdaptersBenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Hugging Face model directory (e.g. from 'synth model --preset 1b').")
    Path model;

    @Mixin
    AdapterSpecOptions adapter;

    @Option(names = "--count", defaultValue = "7", description = "Adapters measured; one more is loaded first to warm the JIT "
            + "(default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--pretouch-mib", defaultValue = "3072", description = "Native memory written once before timing, so loads "
            + "do not pay the VM's first-touch cost, as in a worker that has been up a while; 0 measures fresh memory "
            + "(default: ${DEFAULT-VALUE}).")
    long pretouchMib;

    @Option(names = "--json", description = "JSON on stdout (always printed; the flag is accepted for scripts).")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Path> dirs = new ArrayList<>();
        for (int i = 0; i <= count; i++) {
            dirs.add(BenchModel.adapter(model, adapter.rank, adapter.projections(), adapter.dtype(), 100 + i));
        }
        Path data = Files.createTempDirectory("lorafn-bench-adapters");
        try {
            AdapterLoadResult r = AdapterLoadBench.run(model, dirs, data, pretouchMib << 20, new ConsoleProgressBar());
            System.out.println(r.toJson());
        } finally {
            try (Stream<Path> all = Files.walk(data)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
