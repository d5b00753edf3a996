package io.lorafn.infra.stack;

import io.lorafn.bench.workload.PoolSample;
import io.lorafn.pool.contract.ActivationRecord;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the workload benchmark runs against: a stack it started, or one that is running. */
interface WorkloadTarget extends AutoCloseable {
    /** The invoker. */
    URI invoker();

    /** Creates a tenant whose function {@code fn} serves the adapter in {@code adapterDir}; returns its API key. */
    String createTenant(String id, Path adapterDir) throws Exception;

    /** The pool now; each worker's restore time goes into {@code restoreMs}. */
    PoolSample sample(Map<String, Long> restoreMs) throws Exception;

    /** The finished activation records of calls accepted at or after {@code sinceMs}. */
    List<ActivationRecord> finishedSince(long sinceMs) throws Exception;

    /** The pids of the workers running now on this machine (for their memory); empty for those elsewhere. */
    List<Long> localWorkerPids() throws Exception;

    /** The shared image's size in bytes, or -1 when it is not known here. */
    long imageBytes();

    /** Private (anonymous) proportional set size of each process, in bytes: a worker's own memory, the image aside. */
    static List<Long> anonymousPss(List<Long> pids) throws Exception {
        List<Long> out = new java.util.ArrayList<>();
        for (long pid : pids) {
            Path rollup = Path.of("/proc/" + pid + "/smaps_rollup");
            if (!Files.isReadable(rollup)) {
                continue;
            }
            for (String line : Files.readAllLines(rollup)) {
                if (line.startsWith("Pss_Anon:")) {
                    out.add(Long.parseLong(line.replaceAll("\\D+", "")) * 1024);
                }
            }
        }
        return out;
    }
}
