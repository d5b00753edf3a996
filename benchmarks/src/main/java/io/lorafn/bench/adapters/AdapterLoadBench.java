package io.lorafn.bench.adapters;

import io.lorafn.bench.Stats;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.registry.AdapterRules;
import io.lorafn.storage.registry.AdapterValidator;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.lorafn.worker.adapters.AdapterCache;
import io.lorafn.worker.adapters.AdapterCacheConfig;
import io.lorafn.worker.adapters.AdapterLease;
import io.lorafn.worker.adapters.AdapterTier;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How long an adapter takes to become compute-ready from each tier, through the real path: pushed to
 * the embedded S3 server, then fetched with the MinIO SDK, hashed, verified, validated against the base
 * model and prepared (B transposed) by the worker's {@link AdapterCache}.
 */
public final class AdapterLoadBench {
    private AdapterLoadBench() {
    }

    /**
     * @param adapterDirs PEFT adapter directories; the first is a warm-up (loaded cold once and from warm
     *                    40 times, so the timed loads run compiled code, as in a worker that has been up a
     *                    while) and is not reported
     * @param pretouchBytes native memory to write once and free before timing. On this project's VMs the
     *                    host backs guest memory on first touch; each load allocates about 70 MB of fresh
     *                    native memory, and timed against never-touched memory the same load took 110 or
     *                    320 ms depending on whether the guest reused freed pages. A worker that has been
     *                    running has its memory backed; 0 measures the fresh case.
     */
    public static AdapterLoadResult run(Path model, List<Path> adapterDirs, Path dataDir, long pretouchBytes, Progress progress)
            throws Exception {
        String baseSha;
        AdapterValidator validator;
        try (ModelDirectory m = ModelDirectory.open(model)) {
            baseSha = ResidentImageWriter.sourceHash(m);
            validator = new AdapterValidator(m.config(), baseSha, AdapterRules.DEFAULT);
            try (ObjectStore store = ObjectStore.open(ObjectStoreConfig.embedded(dataDir))) {
                AdapterRegistry registry = new AdapterRegistry(store, validator, AdapterRules.DEFAULT);
                List<AdapterRef> refs = new ArrayList<>();
                String version = Long.toString(System.currentTimeMillis());
                progress.start("push adapters", adapterDirs.size());
                for (int i = 0; i < adapterDirs.size(); i++) {
                    AdapterRef ref = new AdapterRef("bench", "adapter-" + i, version);
                    registry.push(ref, adapterDirs.get(i), null);
                    refs.add(ref);
                    progress.advance(1);
                }
                progress.done();
                long bytes = Files.size(adapterDirs.getFirst().resolve("adapter_model.safetensors"));
                AdapterCacheConfig budgets = new AdapterCacheConfig(8L * refs.size() * bytes, 4L * refs.size() * bytes, 1);
                List<Double> cold = new ArrayList<>(), warm = new ArrayList<>(), hot = new ArrayList<>(), fetch = new ArrayList<>();
                try (AdapterCache cache = new AdapterCache(registry::fetch, m.config(), budgets, new SimpleMeterRegistry())) {
                    if (pretouchBytes > 0) { // see the javadoc of run
                    try (Arena a = Arena.ofConfined()) {
                        a.allocate(pretouchBytes, 4096).fill((byte) 1);
                    }
                }
                progress.start("load adapters", refs.size());
                    for (int i = 0; i < refs.size(); i++) {
                        AdapterRef ref = refs.get(i);
                        double c = leaseMillis(cache, ref, AdapterTier.COLD);
                        for (int warmup = 0; i == 0 && warmup < 40; warmup++) { // a long-running worker's JIT state
                            cache.demote(ref);
                            leaseMillis(cache, ref, AdapterTier.WARM);
                        }
                        cache.demote(ref);
                        double w = leaseMillis(cache, ref, AdapterTier.WARM);
                        long start = System.nanoTime();
                        cache.acquire(ref).get(1, TimeUnit.MINUTES).close();
                        double h = (System.nanoTime() - start) / 1e6;
                        start = System.nanoTime();
                        registry.fetch(ref);
                        double f = (System.nanoTime() - start) / 1e6;
                        if (i > 0) {
                            cold.add(c);
                            warm.add(w);
                            hot.add(h);
                            fetch.add(f);
                        }
                        progress.advance(1);
                    }
                    progress.done();
                }
                return new AdapterLoadResult(bytes, refs.size() - 1, median(cold), median(warm), median(hot), median(fetch),
                        cold.stream().mapToDouble(Double::doubleValue).toArray());
            }
        }
    }

    private static double leaseMillis(AdapterCache cache, AdapterRef ref, AdapterTier expected) throws Exception {
        try (AdapterLease lease = cache.acquire(ref).get(1, TimeUnit.MINUTES)) {
            if (lease.servedFrom() != expected) {
                throw new IllegalStateException(ref + " came from " + lease.servedFrom() + ", expected " + expected);
            }
            return lease.loadNanos() / 1e6;
        }
    }

    private static double median(List<Double> v) {
        return Stats.median(v.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
