package io.lorafn.worker.cli;

import picocli.CommandLine;

/**
 * The main class a process restored from a CRaC checkpoint runs:
 * {@code java -XX:CRaCRestoreFrom=DIR io.lorafn.worker.cli.RestoredWorkerMain --id … (the worker's options)}.
 * CRaC calls it on the thread that took the checkpoint, after every resource has been restored, so the
 * worker gets its own id and endpoints (a checkpoint is taken once and restored many times) and serves
 * with the model the training run left loaded and warm. The process ends with the worker.
 */
public final class RestoredWorkerMain {
    private RestoredWorkerMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new WorkerCommand()).execute(args));
    }
}
