package io.lorafn.worker.cli;

import io.lorafn.worker.engine.LoadedModel;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options every command that runs the engine shares: which model, image, adapter and threads. */
public final class ModelOptions {
    @Option(names = "--model", required = true, description = "Hugging Face model directory.")
    Path model;

    @Option(names = "--adapter", description = "PEFT LoRA adapter directory, applied unmerged.")
    Path adapter;

    @Option(names = "--image", description = "Compute on this resident image (see 'lorafn image build') instead of the safetensors.")
    Path image;

    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--backend", defaultValue = "auto", description = "auto (CUDA where a device is, else the CPU), cpu or cuda (default: ${DEFAULT-VALUE}).")
    String backend;

    LoadedModel open() {
        return LoadedModel.open(model, image, threads, backend);
    }
}
