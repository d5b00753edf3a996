package io.lorafn.worker.adapters;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.FetchedAdapter;
import io.lorafn.worker.WorkerException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's adapter tiers: hot (compute-ready, LRU, see {@link HotTier}), warm (raw bytes, W-TinyLFU
 * through Caffeine) and cold
 * (the object store). Keys are {@link AdapterRef}s, which include the version, so a new version never
 * serves old bytes.
 *
 * <p>However many calls ask for a cold adapter at once, one fetch runs: loads are single-flight per
 * version. A fetched adapter is verified against its manifest's sha256 before it is cached; a mismatch
 * is refused, counted and never cached. Erasure removes an adapter from every tier, and a load that
 * was in flight when the adapter was erased is discarded rather than cached.
 */
public final class AdapterCache implements AutoCloseable {
    private final AdapterSource source;
    private final ModelConfig model;
    private final AdapterCacheConfig config;
    private final HotTier hot;
    private final Cache<AdapterRef, FetchedAdapter> warm;
    private final Map<AdapterRef, CompletableFuture<Loaded>> inFlight = new ConcurrentHashMap<>();
    /** Bumped on each erasure of a name: a load that saw another value must not cache what it fetched. */
    private final Map<AdapterName, AtomicLong> erasures = new ConcurrentHashMap<>();
    private final ExecutorService loaders;
    private final Metrics metrics;

    public AdapterCache(AdapterSource source, ModelConfig model, AdapterCacheConfig config, MeterRegistry meters) {
        this.source = source;
        this.model = model;
        this.config = config;
        this.loaders = Executors.newFixedThreadPool(config.loaders(), r -> {
            Thread t = new Thread(r, "lorafn-adapter-loader");
            t.setDaemon(true);
            return t;
        });
        this.hot = new HotTier(config.hotBytes());
        this.warm = Caffeine.newBuilder().maximumWeight(config.warmBytes())
                .weigher((AdapterRef k, FetchedAdapter v) -> (int) Math.min(Integer.MAX_VALUE, v.byteSize()))
                .executor(Runnable::run) // eviction runs in the caller: the budget holds when a call returns
                .build();
        this.metrics = new Metrics(meters, this);
    }

    /**
     * The adapter, compute-ready, for one call. Completes exceptionally with the registry's or the
     * store's error (not found, corrupt, unreachable after its retries): it never waits without bound.
     */
    public CompletableFuture<AdapterLease> acquire(AdapterRef ref) {
        long start = System.nanoTime();
        HotAdapter h = hot.get(ref);
        if (h != null && h.retain()) {
            metrics.hit(AdapterTier.HOT);
            return CompletableFuture.completedFuture(new AdapterLease(h, AdapterTier.HOT, 0));
        }
        metrics.miss(AdapterTier.HOT);
        return leaseAfterLoad(ref, start, 3);
    }

    private CompletableFuture<AdapterLease> leaseAfterLoad(AdapterRef ref, long start, int triesLeft) {
        return load(ref).thenCompose(loaded -> {
            if (loaded.hot().retain()) {
                return CompletableFuture.completedFuture(new AdapterLease(loaded.hot(), loaded.source(), System.nanoTime() - start));
            }
            if (triesLeft == 0) { // evicted again before this call could hold it: the hot tier is thrashing
                return CompletableFuture.failedFuture(new WorkerException("ADAPTER_CACHE_THRASHING", ref
                        + " was evicted from the hot tier before the call could use it, three times; raise the hot budget"));
            }
            return leaseAfterLoad(ref, start, triesLeft - 1);
        });
    }

    /** Makes a tenant's adapter hot ahead of its first call. */
    public CompletableFuture<Void> prefetch(AdapterRef ref) {
        return acquire(ref).thenAccept(AdapterLease::close);
    }

    /** Where the adapter is now, without loading it. */
    public AdapterTier tierOf(AdapterRef ref) {
        HotAdapter h = hot.get(ref);
        if (h != null && !h.isClosed()) {
            return AdapterTier.HOT;
        }
        return warm.getIfPresent(ref) != null ? AdapterTier.WARM : AdapterTier.COLD;
    }

    public Set<AdapterRef> hotAdapters() {
        return hot.keys();
    }

    public Set<AdapterRef> warmAdapters() {
        return Set.copyOf(warm.asMap().keySet());
    }

    /** Drops a version from the hot tier only (it stays warm): memory pressure, and the warm-to-hot benchmark. */
    public void demote(AdapterRef ref) {
        hot.remove(ref);
    }

    /** Erasure: every version of the adapter leaves every tier; loads in flight are discarded. */
    public void evict(AdapterName adapter) {
        erasures.computeIfAbsent(adapter, k -> new AtomicLong()).incrementAndGet();
        hot.removeAll(adapter); // frees the ones no call holds; held ones are freed on release
        warm.asMap().keySet().removeIf(r -> r.adapter().equals(adapter));
    }

    public long residentBytes(AdapterTier tier) {
        return switch (tier) {
            case HOT -> hot.bytes();
            case WARM -> warm.policy().eviction().orElseThrow().weightedSize().orElse(0);
            case COLD -> 0;
        };
    }

    private CompletableFuture<Loaded> load(AdapterRef ref) {
        CompletableFuture<Loaded> mine = new CompletableFuture<>();
        CompletableFuture<Loaded> running = inFlight.putIfAbsent(ref, mine);
        if (running != null) {
            return running;
        }
        long erasure = erasureCount(ref.adapter());
        loaders.execute(() -> {
            try {
                mine.complete(loadNow(ref, erasure));
            } catch (Throwable t) {
                mine.completeExceptionally(t);
            } finally {
                inFlight.remove(ref, mine);
            }
        });
        return mine;
    }

    private Loaded loadNow(AdapterRef ref, long erasure) {
        HotAdapter already = hot.get(ref); // a load that finished between the caller's hot miss and this one
        if (already != null && !already.isClosed()) {
            return new Loaded(already, AdapterTier.HOT);
        }
        long start = System.nanoTime();
        FetchedAdapter raw = warm.getIfPresent(ref);
        AdapterTier from = AdapterTier.WARM;
        if (raw != null) {
            metrics.hit(AdapterTier.WARM);
        } else {
            metrics.miss(AdapterTier.WARM);
            from = AdapterTier.COLD;
            raw = fetchCold(ref);
        }
        LoraAdapter adapter = LoraAdapter.fromVerifiedBytes(Path.of(ref.prefix()), raw.configJson(), raw.weights(), model);
        HotAdapter h = new HotAdapter(ref, adapter);
        if (h.weight() > config.hotBytes()) {
            h.evict();
            throw new WorkerException("ADAPTER_TOO_LARGE_FOR_HOT", ref + " needs " + h.weight()
                    + " bytes compute-ready, over this worker's whole hot budget of " + config.hotBytes());
        }
        if (erasureCount(ref.adapter()) != erasure) {
            h.evict();
            throw new StorageException("ADAPTER_NOT_FOUND", "adapter " + ref + " was erased while it loaded");
        }
        if (from == AdapterTier.COLD && config.warmBytes() > 0) {
            warm.put(ref, raw);
        }
        hot.put(h);
        metrics.loaded(from, System.nanoTime() - start);
        return new Loaded(h, from);
    }

    /**
     * Takes {@code ref} through the cold path once more (fetch, verify, make compute-ready) and throws the
     * result away: nothing is cached, counted or evicted. A restored worker's fetch path runs slowly until the
     * JIT has compiled it; rehearsing it while idle spares the next cold adapter that cost.
     */
    public void rehearse(AdapterRef ref) {
        FetchedAdapter raw = source.fetch(ref);
        LoraAdapter.fromVerifiedBytes(Path.of(ref.prefix()), raw.configJson(), raw.weights(), model).close();
    }

    private FetchedAdapter fetchCold(AdapterRef ref) {
        try {
            FetchedAdapter raw = source.fetch(ref);
            metrics.hit(AdapterTier.COLD);
            return raw;
        } catch (StorageException e) {
            switch (e.code()) {
                case "ADAPTER_CORRUPT", "ADAPTER_BASE_MISMATCH" -> metrics.verifyFailure();
                case "ADAPTER_NOT_FOUND" -> metrics.miss(AdapterTier.COLD);
                default -> { }
            }
            throw e;
        }
    }

    private long erasureCount(AdapterName adapter) {
        AtomicLong n = erasures.get(adapter);
        return n == null ? 0 : n.get();
    }

    /** Unwraps the cause of a failed acquire, for callers that map it to a status. */
    public static Throwable cause(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public void close() {
        loaders.shutdownNow();
        hot.clear();
        warm.invalidateAll();
    }

    private record Loaded(HotAdapter hot, AdapterTier source) {
    }

    /** Micrometer meters: requests by tier and result, load time by source tier, resident bytes, verify failures. */
    private static final class Metrics {
        private final MeterRegistry meters;
        private final Counter verifyFailures;
        private final Map<String, Counter> counters = new ConcurrentHashMap<>();
        private final Map<AdapterTier, Timer> loadTimers = new ConcurrentHashMap<>();

        Metrics(MeterRegistry meters, AdapterCache cache) {
            this.meters = meters;
            this.verifyFailures = Counter.builder("lorafn.adapter.verify.failures")
                    .description("Adapters refused because a fetched file did not match its manifest").register(meters);
            for (AdapterTier t : new AdapterTier[] {AdapterTier.HOT, AdapterTier.WARM}) {
                Gauge.builder("lorafn.adapter.cache.resident.bytes", cache, c -> c.residentBytes(t)).tag("tier", t.tag())
                        .baseUnit("bytes").description("Bytes held by the tier").register(meters);
            }
        }

        void hit(AdapterTier tier) {
            counter(tier, "hit").increment();
        }

        void miss(AdapterTier tier) {
            counter(tier, "miss").increment();
        }

        void verifyFailure() {
            verifyFailures.increment();
        }

        void loaded(AdapterTier from, long nanos) {
            loadTimers.computeIfAbsent(from, t -> Timer.builder("lorafn.adapter.load").tag("from", t.tag())
                    .description("Time to make an adapter hot").publishPercentileHistogram().register(meters))
                    .record(nanos, TimeUnit.NANOSECONDS);
        }

        private Counter counter(AdapterTier tier, String result) {
            return counters.computeIfAbsent(tier.tag() + result, k -> Counter.builder("lorafn.adapter.cache.requests")
                    .tag("tier", tier.tag()).tag("result", result).description("Adapter lookups by tier").register(meters));
        }
    }
}
