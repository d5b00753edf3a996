package io.lorafn.worker.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.registry.AdapterName;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.AdapterRegistry;
import io.lorafn.storage.registry.AdapterRules;
import io.lorafn.storage.registry.AdapterValidator;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hot/warm/cold tiers over a real S3 server (embedded S3Proxy) and the MinIO SDK. */
class AdapterCacheTest {
    @TempDir
    static Path root;
    static Path model;
    static ModelConfig config;
    static ObjectStore store;
    static AdapterRegistry registry;
    static long adapterBytes;
    static long fileBytes;

    @BeforeAll
    static void start() {
        model = root.resolve("model");
        SyntheticModel.write(model, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        String sha;
        try (ModelDirectory m = ModelDirectory.open(model)) {
            config = m.config();
            sha = ResidentImageWriter.sourceHash(m);
        }
        store = ObjectStore.open(ObjectStoreConfig.embedded(root.resolve("data")));
        registry = new AdapterRegistry(store, new AdapterValidator(config, sha, AdapterRules.DEFAULT), AdapterRules.DEFAULT);
        Path probe = adapterDir("probe", 1);
        try (LoraAdapter a = LoraAdapter.load(probe, config)) {
            adapterBytes = a.residentBytes();
        }
        try {
            fileBytes = Files.size(probe.resolve(LoraAdapter.WEIGHTS_FILE)) + Files.size(probe.resolve(LoraAdapter.CONFIG_FILE));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    static Path adapterDir(String name, long seed) {
        Path dir = root.resolve("adapters").resolve(name);
        SyntheticAdapter.write(dir, model, config, new SyntheticAdapter.Spec(4, 8, List.of(Projection.values()), seed));
        return dir;
    }

    static AdapterRef push(String tenant, String name, String version, long seed) {
        AdapterRef ref = new AdapterRef(tenant, name, version);
        registry.push(ref, adapterDir(tenant + "-" + name + "-" + version, seed), null);
        return ref;
    }

    static AdapterCache cache(long hotAdapters, long warmAdapters, SimpleMeterRegistry meters) {
        return cache(registry::fetch, hotAdapters, warmAdapters, meters);
    }

    static AdapterCache cache(AdapterSource source, long hotAdapters, long warmAdapters, SimpleMeterRegistry meters) {
        // budgets in adapters: a hot adapter weighs its resident bytes, a warm one its files' bytes
        return new AdapterCache(source, config, new AdapterCacheConfig(hotAdapters * adapterBytes + adapterBytes / 2,
                warmAdapters * fileBytes + fileBytes / 2, 2), meters);
    }

    /** The registry as the cold tier, counting its fetches. */
    static AdapterSource counting(AtomicInteger fetches) {
        return r -> {
            fetches.incrementAndGet();
            return registry.fetch(r);
        };
    }

    static double count(SimpleMeterRegistry m, String tier, String result) {
        var c = m.find("lorafn.adapter.cache.requests").tag("tier", tier).tag("result", result).counter();
        return c == null ? 0 : c.count();
    }

    static float firstWeight(LoraAdapter a) {
        return a.modules().getFirst().a().data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0);
    }

    @Test
    void anAdapterComesColdThenHotThenWarm() throws Exception {
        AdapterRef ref = push("acme", "tiers", "1", 1);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AdapterCache cache = cache(4, 4, meters)) {
            assertEquals(AdapterTier.COLD, cache.tierOf(ref));
            try (AdapterLease cold = cache.acquire(ref).get(30, TimeUnit.SECONDS)) {
                assertEquals(AdapterTier.COLD, cold.servedFrom());
                assertTrue(cold.loadNanos() > 0);
                // the kernels' vector loads run scalar code on byte[]-backed segments
                assertTrue(cold.adapter().modules().getFirst().a().data().isNative(), "weights in native memory");
            }
            try (AdapterLease hot = cache.acquire(ref).get()) {
                assertEquals(AdapterTier.HOT, hot.servedFrom());
            }
            cache.demote(ref);
            assertEquals(AdapterTier.WARM, cache.tierOf(ref));
            try (AdapterLease warm = cache.acquire(ref).get()) {
                assertEquals(AdapterTier.WARM, warm.servedFrom());
            }
            assertEquals(1, count(meters, "cold", "hit"));
            assertEquals(1, count(meters, "warm", "hit"));
            assertEquals(1, count(meters, "hot", "hit"));
            assertEquals(2, count(meters, "hot", "miss"));
            assertEquals(2, meters.find("lorafn.adapter.load").timers().stream().mapToLong(t -> t.count()).sum());
            assertTrue(meters.find("lorafn.adapter.cache.resident.bytes").tag("tier", "hot").gauge().value() > 0);
        }
    }

    /** A rehearsal takes the whole cold path (a real fetch, verified) and leaves no trace in tiers or counters. */
    @Test
    void aRehearsalFetchesAndConvertsButCachesAndCountsNothing() throws Exception {
        AdapterRef ref = push("acme", "rehearsed", "1", 9);
        AtomicInteger fetches = new AtomicInteger();
        AdapterSource counting = counting(fetches);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AdapterCache cache = cache(counting, 4, 4, meters)) {
            cache.rehearse(ref);
            cache.rehearse(ref);
            assertEquals(2, fetches.get());
            assertEquals(AdapterTier.COLD, cache.tierOf(ref));
            assertEquals(0, count(meters, "cold", "hit"));
            assertEquals(0, cache.residentBytes(AdapterTier.HOT) + cache.residentBytes(AdapterTier.WARM));
            StorageException missing = assertThrows(StorageException.class, () -> cache.rehearse(new AdapterRef("acme", "never", "1")));
            assertEquals("ADAPTER_NOT_FOUND", missing.code());
        }
    }

    @Test
    void aHundredConcurrentCallsForOneColdAdapterFetchItOnce() throws Exception {
        AdapterRef ref = push("acme", "thundering", "1", 2);
        AtomicInteger fetches = new AtomicInteger();
        AdapterSource counting = counting(fetches);
        try (AdapterCache cache = cache(counting, 4, 4, new SimpleMeterRegistry())) {
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<AdapterLease>> calls = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                CompletableFuture<AdapterLease> f = new CompletableFuture<>();
                calls.add(f);
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                        cache.acquire(ref).whenComplete((l, e) -> {
                            if (e != null) {
                                f.completeExceptionally(e);
                            } else {
                                f.complete(l);
                            }
                        });
                    } catch (InterruptedException e) {
                        f.completeExceptionally(e);
                    }
                }));
            }
            go.countDown();
            LoraAdapter first = null;
            for (CompletableFuture<AdapterLease> f : calls) {
                try (AdapterLease lease = f.get(30, TimeUnit.SECONDS)) {
                    if (first == null) {
                        first = lease.adapter();
                    }
                    assertSame(first, lease.adapter());
                }
            }
            assertEquals(1, fetches.get());
        }
    }

    @Test
    void aCorruptedObjectIsRefusedCountedAndNotCached() throws Exception {
        AdapterRef ref = push("acme", "corrupt", "1", 3);
        byte[] good = store.get(ref.key(LoraAdapter.WEIGHTS_FILE));
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 1;
        store.put(ref.key(LoraAdapter.WEIGHTS_FILE), bad, "application/octet-stream");
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AdapterCache cache = cache(4, 4, meters)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> cache.acquire(ref).get(30, TimeUnit.SECONDS));
            assertEquals("ADAPTER_CORRUPT", ((StorageException) AdapterCache.cause(e)).code());
            assertEquals(1, meters.find("lorafn.adapter.verify.failures").counter().count());
            assertEquals(AdapterTier.COLD, cache.tierOf(ref));
            assertEquals(0, cache.residentBytes(AdapterTier.WARM));
            store.put(ref.key(LoraAdapter.WEIGHTS_FILE), good, "application/octet-stream"); // repaired: loads again
            cache.acquire(ref).get(30, TimeUnit.SECONDS).close();
            assertEquals(AdapterTier.HOT, cache.tierOf(ref));
        }
    }

    @Test
    void evictionKeepsEachTierUnderItsBudgetAndKeepsTheFrequentAdapterWarm() throws Exception {
        AdapterRef popular = push("acme", "popular", "1", 4);
        AdapterRef once = push("acme", "once", "1", 5);
        AdapterRef newcomer = push("acme", "newcomer", "1", 6);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (AdapterCache cache = cache(1, 2, meters)) {
            // Caffeine starts counting frequencies once the tier is half full, so fill it first
            cache.acquire(once).get(30, TimeUnit.SECONDS).close();
            for (int i = 0; i < 6; i++) { // popular is asked for again and again from the warm tier
                cache.acquire(popular).get(30, TimeUnit.SECONDS).close();
                cache.demote(popular);
            }
            cache.acquire(once).get(30, TimeUnit.SECONDS).close();
            assertEquals(java.util.Set.of(once), cache.hotAdapters(), "the hot tier holds one adapter");
            cache.acquire(newcomer).get(30, TimeUnit.SECONDS).close();
            assertTrue(cache.residentBytes(AdapterTier.HOT) <= adapterBytes + adapterBytes / 2);
            assertTrue(cache.residentBytes(AdapterTier.WARM) <= 2 * fileBytes + fileBytes / 2, "warm under budget");
            assertTrue(cache.warmAdapters().contains(popular), "W-TinyLFU keeps the frequent adapter: " + cache.warmAdapters());
            assertEquals(2, cache.warmAdapters().size());
        }
    }

    @Test
    void aLeasedAdapterOutlivesItsEvictionAndIsFreedOnRelease() throws Exception {
        AdapterRef a = push("acme", "leased", "1", 7);
        AdapterRef b = push("acme", "pusher", "1", 8);
        try (AdapterCache cache = cache(1, 4, new SimpleMeterRegistry())) {
            AdapterLease held = cache.acquire(a).get(30, TimeUnit.SECONDS);
            cache.acquire(b).get(30, TimeUnit.SECONDS).close(); // pushes a out of the hot tier
            assertFalse(cache.hotAdapters().contains(a));
            float before = firstWeight(held.adapter()); // still computable
            held.close();
            // A and B are views over the fetched bytes; B transposed is the off-heap part freed on release
            assertThrows(IllegalStateException.class, () -> held.adapter().modules().getFirst().bTransposed().data()
                    .get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0), "freed once released");
            try (AdapterLease again = cache.acquire(a).get(30, TimeUnit.SECONDS)) {
                assertEquals(AdapterTier.WARM, again.servedFrom());
                assertEquals(before, firstWeight(again.adapter()));
            }
        }
    }

    @Test
    void erasureLeavesNothingInAnyTierOrTheBucket() throws Exception {
        AdapterRef ref = push("acme", "forget-me", "1", 9);
        try (AdapterCache cache = cache(4, 4, new SimpleMeterRegistry())) {
            registry.onErase(cache::evict);
            cache.acquire(ref).get(30, TimeUnit.SECONDS).close();
            registry.delete(ref.adapter());
            assertEquals(AdapterTier.COLD, cache.tierOf(ref));
            assertEquals(java.util.Set.of(), cache.hotAdapters());
            assertEquals(java.util.Set.of(), cache.warmAdapters());
            assertEquals(List.of(), store.list(ref.adapter().prefix()));
            ExecutionException e = assertThrows(ExecutionException.class, () -> cache.acquire(ref).get(30, TimeUnit.SECONDS));
            assertEquals("ADAPTER_NOT_FOUND", ((StorageException) AdapterCache.cause(e)).code());
        }
    }

    @Test
    void aNewVersionNeverServesTheOldBytes() throws Exception {
        AdapterRef v1 = push("acme", "versions", "1", 10);
        AdapterRef v2 = push("acme", "versions", "2", 11);
        try (AdapterCache cache = cache(4, 4, new SimpleMeterRegistry());
             LoraAdapter expected = LoraAdapter.load(root.resolve("adapters/acme-versions-2"), config)) {
            try (AdapterLease one = cache.acquire(v1).get(30, TimeUnit.SECONDS);
                 AdapterLease two = cache.acquire(v2).get(30, TimeUnit.SECONDS)) {
                assertEquals(firstWeight(expected), firstWeight(two.adapter()));
                assertTrue(firstWeight(one.adapter()) != firstWeight(two.adapter()));
            }
        }
    }

    @Test
    void prefetchMakesAnAdapterHotBeforeItsFirstCall() throws Exception {
        AdapterRef ref = push("acme", "prefetched", "1", 12);
        try (AdapterCache cache = cache(4, 4, new SimpleMeterRegistry())) {
            cache.prefetch(ref).get(30, TimeUnit.SECONDS);
            try (AdapterLease lease = cache.acquire(ref).get()) {
                assertEquals(AdapterTier.HOT, lease.servedFrom());
            }
        }
    }

    @Test
    void anUnreachableStoreFailsTheCallWithinItsBound() throws Exception {
        ObjectStore own = ObjectStore.open(ObjectStoreConfig.embedded(root.resolve("doomed")));
        String sha;
        try (ModelDirectory m = ModelDirectory.open(model)) {
            sha = ResidentImageWriter.sourceHash(m);
        }
        AdapterRegistry r = new AdapterRegistry(own, new AdapterValidator(config, sha, AdapterRules.DEFAULT), AdapterRules.DEFAULT);
        AdapterRef ref = new AdapterRef("acme", "unreachable", "1");
        r.push(ref, adapterDir("unreachable", 13), null);
        own.close(); // the server goes away
        try (AdapterCache cache = cache(r::fetch, 4, 4, new SimpleMeterRegistry())) {
            long start = System.nanoTime();
            ExecutionException e = assertThrows(ExecutionException.class, () -> cache.acquire(ref).get(60, TimeUnit.SECONDS));
            assertEquals("OBJECT_STORE_UNREACHABLE", ((StorageException) AdapterCache.cause(e)).code());
            assertTrue(System.nanoTime() - start < 20_000_000_000L, "failed within the retry bound");
        }
    }
}
