package io.lorafn.worker.cli;

import picocli.CommandLine;

/**
 * The entry point of a worker process, {@code java … io.lorafn.worker.cli.WorkerMain (the options of
 * 'lorafn worker')}. It builds only the worker's command: the whole {@code lorafn} command tree costs a
 * cold JVM about a third of a second of reflection, on every restore. A process restored from a CRaC
 * checkpoint runs it too ({@code java -XX:CRaCRestoreFrom=DIR io.lorafn.worker.cli.WorkerMain --id …}):
 * CRaC calls it on the thread that took the checkpoint, after every resource has been restored, so that
 * worker gets its own id and endpoints and serves with the model the training run left loaded and warm.
 * The process ends with the worker.
 */
public final class WorkerMain {
    private WorkerMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new WorkerCommand()).setExecutionExceptionHandler(CliErrors.handler()).execute(args));
    }
}
