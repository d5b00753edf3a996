package io.lorafn.storage.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.Progress;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.hf.Projection;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.s3.ObjectStore;
import io.lorafn.storage.s3.ObjectStoreConfig;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.storage.synth.ModelPreset;
import io.lorafn.storage.synth.SyntheticAdapter;
import io.lorafn.storage.synth.SyntheticModel;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry against a real S3 server (the embedded S3Proxy) through the MinIO SDK. */
class AdapterRegistryTest {
    @TempDir
    static Path root;
    static Path model;
    static ModelConfig config;
    static String baseSha;
    static ObjectStore store;
    static AdapterRegistry registry;

    @BeforeAll
    static void start() {
        model = root.resolve("model");
        SyntheticModel.write(model, ModelPreset.named("tiny"), DType.F32, 1, 0, Progress.NONE);
        try (ModelDirectory m = ModelDirectory.open(model)) {
            config = m.config();
            baseSha = ResidentImageWriter.sourceHash(m);
        }
        store = ObjectStore.open(ObjectStoreConfig.embedded(root.resolve("data")));
        registry = registryWith(AdapterRules.DEFAULT);
    }

    @AfterAll
    static void stop() {
        store.close();
    }

    static AdapterRegistry registryWith(AdapterRules rules) {
        return new AdapterRegistry(store, new AdapterValidator(config, baseSha, rules), rules);
    }

    static Path adapter(String name, int rank, long seed) {
        Path dir = root.resolve("adapters").resolve(name);
        SyntheticAdapter.write(dir, model, config, new SyntheticAdapter.Spec(rank, 2.0 * rank, List.of(Projection.values()), seed));
        return dir;
    }

    @Test
    void pushThenGetRoundTripsByteForByte() throws Exception {
        Path dir = adapter("roundtrip", 4, 1);
        AdapterRef ref = new AdapterRef("acme", "support", "1");
        AdapterManifest m = registry.push(ref, dir, null);
        assertEquals(4, m.rank());
        assertEquals(baseSha, m.baseModelSha256());
        assertEquals(ObjectStore.sha256Hex(Files.readAllBytes(dir.resolve(LoraAdapter.WEIGHTS_FILE))),
                m.files().get(LoraAdapter.WEIGHTS_FILE).sha256());
        Path out = root.resolve("downloaded");
        registry.download(ref, out);
        for (String f : List.of(LoraAdapter.CONFIG_FILE, LoraAdapter.WEIGHTS_FILE)) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        assertEquals("1", registry.latest(ref.adapter()).orElseThrow());
        AdapterSummary listed = registry.list("acme").stream().filter(s -> s.name().equals("support")).findFirst().orElseThrow();
        assertEquals(List.of("1"), listed.versions());
    }

    @Test
    void latestMovesOnPushAndWalksBackOnRollback() {
        AdapterName a = new AdapterName("acme", "pointer");
        registry.push(a.version("1"), adapter("p1", 2, 2), null);
        registry.push(a.version("2"), adapter("p2", 2, 3), null);
        assertEquals("2", registry.latest(a).orElseThrow());
        assertEquals("1", registry.rollback(a));
        assertEquals("1", registry.resolve(a, null).version());
        registry.promote(a.version("2"));
        assertEquals("2", registry.latest(a).orElseThrow());
        assertEquals("1", registry.rollback(a));
        StorageException none = assertThrows(StorageException.class, () -> registry.rollback(a));
        assertEquals("ADAPTER_NO_PREVIOUS_VERSION", none.code());
        assertEquals("ADAPTER_NOT_FOUND", assertThrows(StorageException.class, () -> registry.promote(a.version("9"))).code());
    }

    @Test
    void versionsAreImmutable() {
        AdapterRef ref = new AdapterRef("acme", "immutable", "1");
        registry.push(ref, adapter("imm", 2, 4), null);
        assertEquals("ADAPTER_VERSION_EXISTS", assertThrows(StorageException.class,
                () -> registry.push(ref, adapter("imm2", 2, 5), null)).code());
    }

    @Test
    void aCorruptedObjectIsRefusedOnFetch() throws Exception {
        AdapterRef ref = new AdapterRef("acme", "corrupt", "1");
        Path dir = adapter("corrupt", 2, 6);
        registry.push(ref, dir, null);
        byte[] bytes = Files.readAllBytes(dir.resolve(LoraAdapter.WEIGHTS_FILE));
        bytes[bytes.length - 3] ^= 0x40; // one flipped bit in the last tensor
        store.put(ref.key(LoraAdapter.WEIGHTS_FILE), bytes, "application/octet-stream");
        StorageException e = assertThrows(StorageException.class, () -> registry.fetch(ref));
        assertEquals("ADAPTER_CORRUPT", e.code());
        assertTrue(e.getMessage().contains(ref.key(LoraAdapter.WEIGHTS_FILE)), e.getMessage());
    }

    @Test
    void aManifestForAnotherBaseIsRefusedOnFetch() {
        AdapterRef ref = new AdapterRef("acme", "otherbase", "1");
        registry.push(ref, adapter("otherbase", 2, 7), null);
        AdapterRegistry otherWorker = new AdapterRegistry(store, new AdapterValidator(config, "ab".repeat(32), AdapterRules.DEFAULT),
                AdapterRules.DEFAULT);
        assertEquals("ADAPTER_BASE_MISMATCH", assertThrows(StorageException.class, () -> otherWorker.fetch(ref)).code());
    }

    @Test
    void erasureLeavesNothingInTheBucketAndTellsTheHooks() {
        AdapterName a = new AdapterName("acme", "erased");
        registry.push(a.version("1"), adapter("e1", 2, 8), null);
        registry.push(a.version("2"), adapter("e2", 2, 9), null);
        AtomicReference<AdapterName> told = new AtomicReference<>();
        AdapterRegistry r = registryWith(AdapterRules.DEFAULT);
        r.onErase(told::set);
        assertEquals(7, r.delete(a)); // 2 × (config, weights, manifest) + pointer
        assertEquals(List.of(), store.list(a.prefix()));
        assertEquals(a, told.get());
        assertEquals("ADAPTER_NOT_FOUND", assertThrows(StorageException.class, () -> registry.resolve(a, null)).code());
    }

    @Test
    void tenantsDoNotSeeEachOthersAdapters() {
        registry.push(new AdapterRef("globex", "private", "1"), adapter("globex", 2, 10), null);
        assertTrue(registry.list("acme").stream().noneMatch(s -> s.name().equals("private")));
        assertEquals("ADAPTER_NOT_FOUND", assertThrows(StorageException.class,
                () -> registry.resolve(new AdapterName("acme", "private"), null)).code());
    }

    @Test
    void namesThatCouldEscapeTheirPrefixAreRefused() {
        for (String bad : List.of("..", "a/b", "", "-x", "a b")) {
            assertEquals("ADAPTER_BAD_NAME", assertThrows(StorageException.class, () -> new AdapterRef("acme", bad, "1")).code(), bad);
        }
    }

    @Test
    void anUnreachableStoreFailsWithinItsBound() {
        ObjectStoreConfig dead = new ObjectStoreConfig(URI.create("http://127.0.0.1:1"), "k", "s", "lorafn", "us-east-1", null,
                3, Duration.ofMillis(20), Duration.ofSeconds(1));
        long start = System.nanoTime();
        StorageException e = assertThrows(StorageException.class, () -> ObjectStore.open(dead));
        assertEquals("OBJECT_STORE_UNREACHABLE", e.code());
        assertTrue(e.getMessage().contains("3 attempts"), e.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L, "gave up within 10 s");
    }

    // ---- validation: each rule refuses the push with its own code, and nothing is written ----

    private static void assertRefused(String code, Path dir, AdapterRegistry r, String declaredBase) {
        AdapterRef ref = new AdapterRef("acme", "bad-" + code.toLowerCase().replace('_', '-'), "1");
        StorageException e = assertThrows(StorageException.class, () -> r.push(ref, dir, declaredBase));
        assertEquals(code, e.code(), e.getMessage());
        assertEquals(List.of(), store.list(ref.adapter().prefix()), "nothing uploaded");
    }

    private static Path withConfig(String name, String from, String to) throws Exception {
        Path dir = adapter(name, 4, 11);
        Path cfg = dir.resolve(LoraAdapter.CONFIG_FILE);
        String text = Files.readString(cfg);
        assertTrue(text.contains(from), text);
        Files.writeString(cfg, text.replace(from, to));
        return dir;
    }

    @Test
    void refusesAPeftTypeOtherThanLora() throws Exception {
        assertRefused("ADAPTER_UNSUPPORTED", withConfig("ia3", "\"LORA\"", "\"IA3\""), registry, null);
    }

    @Test
    void refusesARankAboveTheMaximum() {
        assertRefused("ADAPTER_RANK_TOO_LARGE", adapter("rank8", 8, 12), registryWith(new AdapterRules(4, 1L << 30)), null);
    }

    @Test
    void refusesTargetModulesTheBaseDoesNotHave() throws Exception {
        assertRefused("ADAPTER_TARGET_UNKNOWN", withConfig("target", "\"q_proj\"", "\"c_attn\""), registry, null);
    }

    @Test
    void refusesAFileOverTheSizeLimit() {
        assertRefused("ADAPTER_TOO_LARGE", adapter("big", 4, 13), registryWith(new AdapterRules(64, 4096)), null);
    }

    @Test
    void refusesADeclaredBaseThatIsNotTheServedOne() throws Exception {
        assertRefused("ADAPTER_BASE_MISMATCH", adapter("base", 4, 14), registry, "00".repeat(32));
        assertRefused("ADAPTER_BASE_MISMATCH", withConfig("base-in-config", "\"r\"", "\"base_model_sha256\": \"" + "11".repeat(32)
                + "\", \"r\""), registry, null);
    }

    @Test
    void refusesTensorsThatDoNotFitTheBaseModel() throws Exception {
        Path dir = adapter("shape", 4, 15);
        rewriteTensor(dir, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "F32", new long[] {4, 7}, 1f);
        assertRefused("ADAPTER_SHAPE_MISMATCH", dir, registry, null);
    }

    @Test
    void refusesAAndBRanksThatDisagree() throws Exception {
        Path dir = adapter("abrank", 4, 16);
        rewriteTensor(dir, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "F32",
                new long[] {3, config.hiddenSize()}, 1f);
        assertRefused("ADAPTER_RANK_MISMATCH", dir, registry, null);
    }

    @Test
    void refusesAnIntegerDtype() throws Exception {
        Path dir = adapter("dtype", 4, 17);
        rewriteTensor(dir, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", "I32",
                new long[] {4, config.hiddenSize()}, 1f);
        assertRefused("ADAPTER_UNSUPPORTED_DTYPE", dir, registry, null);
    }

    @Test
    void refusesNaNAndInf() throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path dir = adapter("nonfinite" + bad, 4, 18);
            rewriteTensor(dir, "base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", "F32",
                    new long[] {config.hiddenSize(), 4}, bad);
            assertRefused("ADAPTER_NON_FINITE", dir, registry, null);
        }
    }

    @Test
    void refusesAHeaderOverTheBoundAndOffsetsOutOfRangeOrOverlapping() throws Exception {
        Path header = adapter("header", 4, 19);
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200L << 20).putLong(0);
        Files.write(header.resolve(LoraAdapter.WEIGHTS_FILE), b.array());
        assertRefused("SAFETENSORS_BAD_HEADER_LENGTH", header, registry, null);

        Path range = adapter("range", 4, 20);
        Files.write(range.resolve(LoraAdapter.WEIGHTS_FILE), rawSafetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,64]}}", 8));
        assertRefused("SAFETENSORS_OFFSET_OUT_OF_RANGE", range, registry, null);

        Path overlap = adapter("overlap", 4, 21);
        Files.write(overlap.resolve(LoraAdapter.WEIGHTS_FILE), rawSafetensors(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertRefused("SAFETENSORS_OVERLAP", overlap, registry, null);
    }

    /** Replaces one tensor of an adapter file (same name) with the given dtype, shape and fill. */
    private static void rewriteTensor(Path dir, String name, String dtype, long[] shape, float fill) throws Exception {
        Path file = dir.resolve(LoraAdapter.WEIGHTS_FILE);
        StringBuilder header = new StringBuilder("{");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        try (io.lorafn.storage.safetensors.SafetensorsFile f = io.lorafn.storage.safetensors.SafetensorsFile.open(file)) {
            for (var t : f.tensors().values()) {
                long begin = data.size();
                String dt = t.dtype().name();
                long[] sh = t.shape();
                if (t.name().equals(name)) {
                    dt = dtype;
                    sh = shape;
                    long n = 1;
                    for (long d : shape) {
                        n *= d;
                    }
                    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(4 * n)).order(ByteOrder.LITTLE_ENDIAN);
                    for (long i = 0; i < n; i++) {
                        buf.putFloat(fill);
                    }
                    data.write(buf.array());
                } else {
                    data.write(t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                }
                if (header.length() > 1) {
                    header.append(',');
                }
                header.append('"').append(t.name()).append("\":{\"dtype\":\"").append(dt).append("\",\"shape\":")
                        .append(java.util.Arrays.toString(sh).replace(" ", "")).append(",\"data_offsets\":[").append(begin)
                        .append(',').append(data.size()).append("]}");
            }
        }
        header.append('}');
        Files.write(file, rawSafetensors(header.toString(), data.toByteArray()));
    }

    private static byte[] rawSafetensors(String header, int dataBytes) {
        return rawSafetensors(header, new byte[dataBytes]);
    }

    private static byte[] rawSafetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }
}
