package io.lorafn.worker.runtime;

import io.lorafn.storage.s3.ObjectStoreConfig;
import io.lorafn.worker.adapters.AdapterCacheConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything one worker process is configured with; the {@code lorafn worker} command builds it from
 * flags and {@code LORAFN_*} variables.
 *
 * @param image       resident image to compute on, or null for the model directory's safetensors
 * @param threads     kernel threads; 0 = one per core
 * @param slots       batch slots: calls run at once, and the most the dispatcher assigns
 * @param parentPid   the worker exits when this process dies (0: no owner to watch)
 * @param heartbeatMs how often the worker reports itself; the pool declares it dead after several misses
 * @param drainMs     on SIGTERM, how long calls in flight may take to finish before the rest are requeued
 * @param spawnedAtMs when the node agent started this process (epoch ms), the start of its restore; 0: the JVM's start
 * @param warmupRounds dummy generations run before reporting WARM, so the JIT has compiled the kernels (0: none)
 * @param backgroundWarmup compile the kernels on a tiny model alongside the restore, without delaying WARM
 * @param prefetch     adapters ({@code tenant/name/version}) to load while the worker restores: the calls waiting for it
 * @param modelObjects the naive cold start: download the model's files from this object-store prefix into
 *                     {@code modelDir} and convert them to {@code convertTo}; null to use {@code modelDir} as it is
 * @param backend      what computes the products: auto (CUDA where a device is, else the CPU), cpu or cuda
 */
public record WorkerConfig(String id, String node, Path modelDir, Path image, int threads, int slots, String redisUrl,
                           ObjectStoreConfig objectStore, AdapterCacheConfig adapterCache, long parentPid, long heartbeatMs,
                           long drainMs, long spawnedAtMs, int warmupRounds, boolean backgroundWarmup, List<String> prefetch,
                           String modelObjects, String convertTo, String backend) {
    public WorkerConfig {
        if (id == null || !id.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("worker id must be 1-64 of [A-Za-z0-9._-], got '" + id + "'");
        }
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, got " + slots);
        }
        prefetch = prefetch == null ? List.of() : List.copyOf(prefetch);
        if (heartbeatMs < 50) {
            throw new IllegalArgumentException("heartbeat interval must be >= 50 ms, got " + heartbeatMs);
        }
    }
}
