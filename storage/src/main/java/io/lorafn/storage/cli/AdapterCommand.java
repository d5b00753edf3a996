package io.lorafn.storage.cli;

import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.peft.AdapterMerge;
import io.lorafn.storage.peft.LoraAdapter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Adapter tools. */
@Command(name = "adapter", mixinStandardHelpOptions = true,
        description = "Work with PEFT LoRA adapters: locally (merge, validate) and in the registry (push, list, get, promote, rollback, delete).",
        subcommands = {AdapterCommand.Merge.class, AdapterCommand.Validate.class, RegistryCommand.Push.class,
                RegistryCommand.ListAdapters.class, RegistryCommand.Get.class, RegistryCommand.Promote.class,
                RegistryCommand.Rollback.class, RegistryCommand.Delete.class})
public final class AdapterCommand {

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Writes a model directory whose weights are W + s·B·A for every adapted projection.")
    static final class Merge implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "The base model directory.")
        Path model;

        @Option(names = "--adapter", required = true, description = "The PEFT adapter directory.")
        Path adapter;

        @Option(names = "--out", required = true, description = "The merged model directory to write.")
        Path out;

        @Option(names = "--dtype", description = "Output dtype f32, bf16 or f16 (default: each tensor's own).")
        String dtype;

        @Override
        public Integer call() {
            try (ModelDirectory m = ModelDirectory.open(model); LoraAdapter a = LoraAdapter.load(adapter, m.config())) {
                AdapterMerge.merge(m, a, out, dtype == null ? null : SynthCommand.parseDType(dtype), new ConsoleProgressBar());
            }
            System.out.println(out);
            return 0;
        }
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Checks an adapter against a base model and prints its modules, or the first problem found.")
    static final class Validate implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "The base model directory.")
        Path model;

        @Option(names = "--adapter", required = true, description = "The PEFT adapter directory.")
        Path adapter;

        @Override
        public Integer call() {
            try (ModelDirectory m = ModelDirectory.open(model); LoraAdapter a = LoraAdapter.load(adapter, m.config())) {
                System.out.printf("ok: %d modules, %d bytes, r=%d alpha=%s rslora=%s%n", a.modules().size(), a.byteSize(),
                        a.config().r(), a.config().loraAlpha(), a.config().useRslora());
            }
            return 0;
        }
    }
}
