package io.lorafn.infra.stack;

import io.lorafn.worker.cli.WorkerMain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a worker JVM is started on this machine: this JVM's {@code java} and class path, and the flags the
 * kernels need. The snapshot's training run and the workers restored from it are started the same way,
 * which a JDK AOT cache requires (the same class path and the same module flags).
 */
public final class WorkerLaunch {
    private WorkerLaunch() {
    }

    public static String java() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * {@code java [flags] [extraJvm] -cp … WorkerMain [workerArgs]}. A small young generation: a worker's
     * weights are mapped and its KV blocks long-lived, so a large eden only adds private memory per worker
     * (measured on the 1b preset: the second worker on a node added 163 MiB with the default, 154 with 16 MiB).
     */
    public static List<String> command(int heapMb, List<String> extraJvm, List<String> workerArgs) {
        return command(heapMb, extraJvm, WorkerMain.class.getName(), workerArgs);
    }

    /** The same JVM set-up for another main class: the device holders the node agent runs, say. */
    static List<String> command(int heapMb, List<String> extraJvm, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(java(), "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-XX:+UseParallelGC", "-Xms64m", "-Xmn16m", "-Xmx" + heapMb + "m"));
        cmd.addAll(extraJvm);
        String operatorFlags = System.getenv("LORAFN_WORKER_JAVA_OPTS"); // the operator's own JVM flags for workers
        if (operatorFlags != null && !operatorFlags.isBlank()) {
            cmd.addAll(List.of(operatorFlags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        return cmd;
    }

    /**
     * {@code java -XX:CRaCRestoreFrom=DIR WorkerMain [workerArgs]}: a worker restored from a CRaC
     * checkpoint. The JVM's flags and class path are the checkpoint's; only the main class and its arguments
     * are new, so the endpoints travel as arguments.
     */
    public static List<String> restoreCommand(Path checkpoint, List<String> workerArgs) {
        List<String> cmd = new ArrayList<>(List.of(java(), "-XX:CRaCRestoreFrom=" + checkpoint, WorkerMain.class.getName()));
        cmd.addAll(workerArgs);
        return cmd;
    }

    /** Whether the class path is made of jar files only: a JDK AOT cache is written and used only then. */
    public static boolean classPathIsJars() {
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!entry.endsWith(".jar")) {
                return false;
            }
        }
        return true;
    }
}
