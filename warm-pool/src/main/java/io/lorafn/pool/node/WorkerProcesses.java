package io.lorafn.pool.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The node agent's worker processes: each is started from a command line, logs to its own file, and is
 * started again under the same id when it dies (crashed, killed, or failed its restore), so it takes back
 * the calls left in its stream. {@link #stop} drains one (SIGTERM: it finishes its calls, then leaves)
 * and kills it if it hangs past the grace period. Closing stops them all the same way. Workers also watch
 * this process and exit when it dies, so a kill -9 of the owner leaves no orphan.
 */
public final class WorkerProcesses implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(WorkerProcesses.class.getName());
    private static final long MAX_BACKOFF_MS = 10_000;

    private final Function<String, List<String>> command;
    private final Map<String, String> environment;
    private final Path logDir;
    private final Map<String, Process> processes = new ConcurrentHashMap<>();
    private final Map<String, Integer> restarts = new ConcurrentHashMap<>();
    private final java.util.Set<String> wanted = ConcurrentHashMap.newKeySet();
    private final long graceMs;
    private volatile boolean open = true;

    /**
     * @param command     the command line that runs the worker with the given id
     * @param environment added to this process's environment for each worker
     * @param logDir      each worker's output goes to {@code worker-{id}.log} there
     * @param graceMs     how long a stopped worker may drain before it is killed
     */
    public WorkerProcesses(Function<String, List<String>> command, Map<String, String> environment, Path logDir, long graceMs) {
        this.command = command;
        this.environment = Map.copyOf(environment);
        this.logDir = logDir;
        this.graceMs = graceMs;
    }

    /** Starts the worker {@code id}, loading {@code prefetch} while it restores, and keeps it running until it is stopped. */
    public synchronized void start(String id, List<String> prefetch) {
        if (wanted.add(id)) {
            spawn(id, 0, prefetch);
        }
    }

    /** Drains the worker (SIGTERM) and kills it if it is still there after the grace period. */
    public void stop(String id) {
        if (!wanted.remove(id)) {
            return;
        }
        Process p = processes.get(id);
        if (p == null) {
            return;
        }
        p.destroy(); // SIGTERM: the worker drains and leaves the pool
        p.onExit().completeOnTimeout(null, graceMs, TimeUnit.MILLISECONDS).thenRun(() -> {
            if (p.isAlive()) {
                LOG.log(System.Logger.Level.WARNING, "worker " + id + " did not drain within " + graceMs + " ms; killing it");
                p.destroyForcibly();
            }
        });
    }

    /** The workers started and not stopped, those restarting included. */
    public List<String> ids() {
        return wanted.stream().sorted().toList();
    }

    private void spawn(String id, long backoffMs, List<String> prefetch) {
        if (!open || !wanted.contains(id)) {
            return;
        }
        try {
            Files.createDirectories(logDir);
            List<String> cmd = new java.util.ArrayList<>(command.apply(id));
            if (!prefetch.isEmpty()) {
                cmd.addAll(List.of("--prefetch", String.join(",", prefetch)));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("worker-" + id + ".log").toFile()));
            pb.environment().putAll(environment);
            Process p = pb.start();
            processes.put(id, p);
            long startedAt = System.currentTimeMillis();
            p.onExit().thenAccept(done -> {
                if (!open || !wanted.contains(id)) {
                    processes.remove(id, p);
                    return;
                }
                restarts.merge(id, 1, Integer::sum);
                // a worker that dies soon after starting is probably misconfigured: back off instead of looping
                long next = System.currentTimeMillis() - startedAt < 5_000 ? Math.min(MAX_BACKOFF_MS, Math.max(250, backoffMs * 2)) : 0;
                LOG.log(System.Logger.Level.WARNING, "worker " + id + " (pid " + done.pid() + ") exited with " + done.exitValue()
                        + "; starting it again" + (next > 0 ? " in " + next + " ms" : "") + " (log: " + logDir.resolve("worker-" + id + ".log") + ")");
                sleep(next);
                spawn(id, next, List.of());
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start worker " + id + ": " + e.getMessage(), e);
        }
    }

    /** The worker's current process, while it runs. */
    public Optional<ProcessHandle> process(String id) {
        return Optional.ofNullable(processes.get(id)).filter(Process::isAlive).map(Process::toHandle);
    }

    /** How many times the worker has been started again after dying. */
    public int restarts(String id) {
        return restarts.getOrDefault(id, 0);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops every worker: SIGTERM, up to {@code graceMs} to drain, then SIGKILL. */
    public void stopAll(long graceMs) {
        open = false;
        wanted.clear();
        processes.values().forEach(Process::destroy);
        long deadline = System.currentTimeMillis() + graceMs;
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(Math.max(0, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stopAll(graceMs);
    }
}
