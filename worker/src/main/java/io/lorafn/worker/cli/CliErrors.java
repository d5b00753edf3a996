package io.lorafn.worker.cli;

import io.lorafn.storage.StorageException;
import io.lorafn.worker.WorkerException;
import picocli.CommandLine;

/** How every lorafn entry point reports a failure: known ones as one line with a stable code, anything else (a bug) with its trace. */
public final class CliErrors {
    private CliErrors() {
    }

    public static CommandLine.IExecutionExceptionHandler handler() {
        return (e, cmd, parsed) -> {
            if (e instanceof StorageException se) {
                cmd.getErr().println("error: " + se.code() + ": " + se.getMessage());
                return 2;
            }
            if (e instanceof WorkerException we) {
                cmd.getErr().println("error: " + we.code() + ": " + we.getMessage());
                return 2;
            }
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        };
    }
}
