package io.lorafn.bench.cli;

import io.lorafn.storage.cli.SynthCommand;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.safetensors.DType;
import java.util.List;
import picocli.CommandLine.Option;

/** The synthetic adapters a benchmark uses. */
final class AdapterSpecOptions {
    @Option(names = "--rank", defaultValue = "16", description = "Adapter rank (default: ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--targets", defaultValue = "all", split = ",", description = "Adapter targets (default: ${DEFAULT-VALUE}).")
    List<String> targets;

    @Option(names = "--adapter-dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE}).")
    String adapterDtype;

    List<Projection> projections() {
        return SynthCommand.parseTargets(targets);
    }

    DType dtype() {
        return SynthCommand.parseDType(adapterDtype);
    }
}
