package io.lorafn.infra.stack;

import io.lorafn.kernels.cuda.DeviceImage;
import io.lorafn.pool.node.WorkerProcesses;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The node agent's device holders: one {@code lorafn device-holder} process per CUDA device of this machine,
 * each keeping the served image on its GPU and exporting it over CUDA IPC, so the workers there share one
 * copy of the base (ServerlessLoRA's backbone sharing). Started before any worker, restarted if one dies
 * (a worker that finds no handle uploads its own copy meanwhile, slower but correct), stopped with the
 * stack. A machine without a device runs none.
 */
final class DeviceHolders implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DeviceHolders.class.getName());

    private final WorkerProcesses processes;
    private final Path image;
    private final int devices;

    /**
     * @param command the command line of the holder for one device ordinal
     */
    DeviceHolders(Path image, int devices, IntFunction<List<String>> command, Map<String, String> env, Path logDir) {
        this.image = image;
        this.devices = devices;
        this.processes = new WorkerProcesses(id -> command.apply(ordinal(id)), env, logDir, 10_000);
        for (int d = 0; d < devices; d++) {
            try {
                Files.deleteIfExists(DeviceImage.handleFile(image, d)); // a holder killed with -9 leaves its handle behind
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            processes.start(id(d), List.of());
        }
    }

    /** The real holders: {@code lorafn device-holder --image IMAGE --device N}, in this JVM's own way. */
    static List<String> command(Path image, int ordinal) {
        return WorkerLaunch.command(512, List.of(), io.lorafn.infra.LorafnMain.class.getName(),
                List.of("device-holder", "--image", image.toString(), "--device", Integer.toString(ordinal)));
    }

    private static String id(int ordinal) {
        return "device-holder-" + ordinal;
    }

    private static int ordinal(String id) {
        return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
    }

    /**
     * Waits until every holder has written its handle beside the image, up to {@code timeoutMs}; returns
     * whether they all did (if not, the workers start anyway and upload their own copies).
     */
    boolean awaitHandles(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (handlesReady()) {
                return true;
            }
            Thread.sleep(100);
        }
        LOG.log(System.Logger.Level.WARNING, "device holders did not export " + image + " within " + timeoutMs
                + " ms; workers start without a shared copy (see " + id(0) + "'s log)");
        return false;
    }

    boolean handlesReady() {
        for (int d = 0; d < devices; d++) {
            if (!Files.exists(DeviceImage.handleFile(image, d))) {
                return false;
            }
        }
        return true;
    }

    WorkerProcesses processes() {
        return processes;
    }

    @Override
    public void close() {
        processes.close();
    }
}
