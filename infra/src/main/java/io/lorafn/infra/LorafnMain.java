package io.lorafn.infra;

import io.lorafn.bench.cli.BenchCommand;
import io.lorafn.invoker.cli.PoolCommand;
import io.lorafn.storage.cli.AdapterCommand;
import io.lorafn.storage.cli.ImageCommand;
import io.lorafn.storage.cli.SynthCommand;
import io.lorafn.worker.cli.CliErrors;
import io.lorafn.worker.cli.GenerateCommand;
import io.lorafn.worker.cli.LogitsCommand;
import io.lorafn.worker.cli.WorkerCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The root command, {@code lorafn}; each module contributes its subcommands from its own cli package. */
@Command(name = "lorafn", mixinStandardHelpOptions = true, version = "lorafn 0.1.0",
        description = {"Serverless runtime for per-tenant LoRA functions on a shared base model.", ""},
        subcommands = {SynthCommand.class, AdapterCommand.class, ImageCommand.class, LogitsCommand.class, GenerateCommand.class, WorkerCommand.class, io.lorafn.worker.cli.DeviceHolderCommand.class, PoolCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class LorafnMain implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new LorafnMain());
        // needs the whole stack, which only infra assembles
        cli.getSubcommands().get("bench").addSubcommand("invoker", new io.lorafn.infra.stack.InvokerBenchCommand());
        cli.getSubcommands().get("bench").addSubcommand("coldstart", new io.lorafn.infra.stack.ColdStartBenchCommand());
        cli.getSubcommands().get("bench").addSubcommand("workload", new io.lorafn.infra.stack.WorkloadBenchCommand());
        cli.addSubcommand("up", new io.lorafn.infra.stack.UpCommand());
        cli.getSubcommands().get("pool").addSubcommand("simulate", new io.lorafn.bench.cli.SimulateCommand());
        cli.addSubcommand("trace", new io.lorafn.bench.cli.TraceCommand());
        cli.addSubcommand("snapshot", new io.lorafn.infra.snapshot.SnapshotCommand());
        cli.addSubcommand("serve", new io.lorafn.infra.stack.ServeCommand());
        cli.setExecutionExceptionHandler(CliErrors.handler());
        return cli;
    }
}
