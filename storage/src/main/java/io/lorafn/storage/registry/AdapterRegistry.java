package io.lorafn.storage.registry;

import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.AdapterConfig;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.s3.ObjectStore;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Tenants' adapters in the object store ({@code adapters/{tenant}/{name}/{version}/…}, see DESIGN.md).
 *
 * <p>Versions are immutable: a push writes the two files, then {@code manifest.json}, then moves the
 * {@code latest.json} pointer, so a reader never sees a version without its manifest, and a manifest
 * always names files that exist. The pointer is a plain overwrite, which S3 makes atomic for readers;
 * two concurrent pointer moves are last-writer-wins, because S3Proxy ignores conditional PUTs
 * (FACTS.md), so there is no compare-and-swap to build on.
 */
public final class AdapterRegistry {
    private final ObjectStore store;
    private final AdapterValidator validator;
    private final AdapterRules rules;
    private final List<Consumer<AdapterName>> erasureHooks = new CopyOnWriteArrayList<>();

    /** A registry that can read, move pointers and erase, but not push, and does not check the base model. */
    public static AdapterRegistry withoutBase(ObjectStore store) {
        return new AdapterRegistry(store, null, AdapterRules.DEFAULT);
    }

    /**
     * The registry for adapters of the model in {@code modelDir}: pushes are validated against its config,
     * and its identity is the one recorded in {@code image} when served from a resident image (null: hashed
     * from the directory's files).
     */
    public static AdapterRegistry forModel(ObjectStore store, Path modelDir, Path image) {
        try (ModelDirectory m = ModelDirectory.open(modelDir)) {
            String baseSha;
            if (image == null) {
                baseSha = ResidentImageWriter.sourceHash(m);
            } else {
                try (ResidentImage img = ResidentImage.open(image)) {
                    baseSha = img.sourceSha256();
                }
            }
            return new AdapterRegistry(store, new AdapterValidator(m.config(), baseSha, AdapterRules.DEFAULT), AdapterRules.DEFAULT);
        }
    }

    /** {@code validator} may be null: see {@link #withoutBase}. */
    public AdapterRegistry(ObjectStore store, AdapterValidator validator, AdapterRules rules) {
        this.store = store;
        this.validator = validator;
        this.rules = rules;
    }

    /** Validates, uploads and makes the new version the latest. */
    public AdapterManifest push(AdapterRef ref, Path dir, String declaredBaseSha256) {
        byte[] config = readFile(dir.resolve(LoraAdapter.CONFIG_FILE), rules.maxFileBytes());
        byte[] weights = readFile(dir.resolve(LoraAdapter.WEIGHTS_FILE), rules.maxFileBytes());
        return push(ref, config, weights, declaredBaseSha256);
    }

    public AdapterManifest push(AdapterRef ref, byte[] config, byte[] weights, String declaredBaseSha256) {
        if (validator == null) {
            throw new IllegalStateException("this registry has no base model to validate against");
        }
        AdapterConfig parsed = validator.validate(Path.of(ref.prefix()), config, weights, declaredBaseSha256);
        if (store.exists(ref.key(AdapterManifest.FILE))) {
            throw new StorageException("ADAPTER_VERSION_EXISTS", ref + " already exists; versions are immutable, push a new one");
        }
        store.put(ref.key(LoraAdapter.CONFIG_FILE), config, "application/json");
        store.put(ref.key(LoraAdapter.WEIGHTS_FILE), weights, "application/octet-stream");
        Map<String, AdapterManifest.FileDigest> files = new TreeMap<>();
        files.put(LoraAdapter.CONFIG_FILE, new AdapterManifest.FileDigest(ObjectStore.sha256Hex(config), config.length));
        files.put(LoraAdapter.WEIGHTS_FILE, new AdapterManifest.FileDigest(ObjectStore.sha256Hex(weights), weights.length));
        List<String> targets = parsed.targetModuleRegex() != null ? List.of(parsed.targetModuleRegex()) : parsed.targetModuleList();
        AdapterManifest manifest = new AdapterManifest(ref.tenant(), ref.name(), ref.version(), files, parsed.r(),
                parsed.loraAlpha(), targets, validator.baseSha256(), Instant.now().toString());
        store.put(ref.key(AdapterManifest.FILE), manifest.toJson(), "application/json");
        movePointer(ref.adapter(), ref.version());
        return manifest;
    }

    /** Every adapter of a tenant, by name. */
    public List<AdapterSummary> list(String tenant) {
        AdapterName.check("tenant", tenant);
        Map<String, List<String>> versions = new TreeMap<>();
        String prefix = "adapters/" + tenant + "/";
        for (String key : store.list(prefix)) {
            String[] parts = key.substring(prefix.length()).split("/");
            if (parts.length == 3 && parts[2].equals(AdapterManifest.FILE)) {
                versions.computeIfAbsent(parts[0], k -> new ArrayList<>()).add(parts[1]);
            }
        }
        List<AdapterSummary> out = new ArrayList<>();
        versions.forEach((name, vs) -> out.add(new AdapterSummary(tenant, name,
                latest(new AdapterName(tenant, name)).orElse(null), List.copyOf(vs))));
        return out;
    }

    public List<String> versions(AdapterName adapter) {
        List<String> out = new ArrayList<>();
        for (String key : store.list(adapter.prefix())) {
            String[] parts = key.substring(adapter.prefix().length()).split("/");
            if (parts.length == 2 && parts[1].equals(AdapterManifest.FILE)) {
                out.add(parts[0]);
            }
        }
        return out;
    }

    public Optional<String> latest(AdapterName adapter) {
        return pointer(adapter).map(AdapterPointer::version);
    }

    /** {@code version} if given, else the latest; {@code ADAPTER_NOT_FOUND} when there is none. */
    public AdapterRef resolve(AdapterName adapter, String version) {
        if (version != null) {
            return adapter.version(version);
        }
        return adapter.version(latest(adapter).orElseThrow(() -> notFound(adapter.toString())));
    }

    public AdapterManifest manifest(AdapterRef ref) {
        try {
            return AdapterManifest.fromJson(ref.key(AdapterManifest.FILE), store.get(ref.key(AdapterManifest.FILE)));
        } catch (StorageException e) {
            if (e.code().equals("OBJECT_NOT_FOUND")) {
                throw notFound(ref.toString());
            }
            throw e;
        }
    }

    /**
     * Both files of a version, each checked against the manifest's sha256 as it streams in; a mismatch
     * is {@code ADAPTER_CORRUPT}, a manifest for another base model {@code ADAPTER_BASE_MISMATCH}.
     */
    public FetchedAdapter fetch(AdapterRef ref) {
        AdapterManifest manifest = manifest(ref);
        if (validator != null && !manifest.baseModelSha256().equalsIgnoreCase(validator.baseSha256())) {
            throw new StorageException("ADAPTER_BASE_MISMATCH", ref + " was pushed for base model " + manifest.baseModelSha256()
                    + " but this worker serves " + validator.baseSha256());
        }
        ObjectStore.FetchedSegment config = fetchVerified(ref, manifest, LoraAdapter.CONFIG_FILE);
        ObjectStore.FetchedSegment weights = fetchVerified(ref, manifest, LoraAdapter.WEIGHTS_FILE);
        return new FetchedAdapter(manifest, config.bytes().toArray(ValueLayout.JAVA_BYTE), weights.bytes());
    }

    private ObjectStore.FetchedSegment fetchVerified(AdapterRef ref, AdapterManifest manifest, String file) {
        AdapterManifest.FileDigest expected = manifest.files().get(file);
        if (expected == null) {
            throw new StorageException("ADAPTER_MANIFEST_INVALID", ref.key(AdapterManifest.FILE) + " does not list " + file);
        }
        ObjectStore.FetchedSegment got;
        try {
            got = store.fetchOffHeap(ref.key(file), Math.max(expected.size(), 0) + 1);
        } catch (StorageException e) {
            if (e.code().equals("OBJECT_TOO_LARGE")) {
                throw new StorageException("ADAPTER_CORRUPT", ref.key(file) + " is larger than the " + expected.size()
                        + " bytes its manifest records");
            }
            throw e;
        }
        if (got.bytes().byteSize() != expected.size() || !got.sha256().equalsIgnoreCase(expected.sha256())) {
            throw new StorageException("ADAPTER_CORRUPT", ref.key(file) + " has sha256 " + got.sha256() + " (" + got.bytes().byteSize()
                    + " bytes) but its manifest records " + expected.sha256() + " (" + expected.size() + " bytes)");
        }
        return got;
    }

    /** Writes a version's two files into {@code outDir}, verified. */
    public AdapterManifest download(AdapterRef ref, Path outDir) {
        FetchedAdapter a = fetch(ref);
        try {
            Files.createDirectories(outDir);
            Files.write(outDir.resolve(LoraAdapter.CONFIG_FILE), a.configJson());
            Files.write(outDir.resolve(LoraAdapter.WEIGHTS_FILE), a.weights().toArray(ValueLayout.JAVA_BYTE));
            Files.write(outDir.resolve(AdapterManifest.FILE), a.manifest().toJson());
        } catch (IOException e) {
            throw new StorageException("FILE_UNWRITABLE", outDir + ": " + e.getMessage(), e);
        }
        return a.manifest();
    }

    /** Points latest at an existing version. */
    public void promote(AdapterRef ref) {
        manifest(ref); // refuses versions that do not exist or are incomplete
        movePointer(ref.adapter(), ref.version());
    }

    /** Points latest back at the version it replaced; returns that version. */
    public String rollback(AdapterName adapter) {
        AdapterPointer p = pointer(adapter).orElseThrow(() -> notFound(adapter.toString()));
        List<String> existing = versions(adapter);
        for (int i = 0; i < p.history().size(); i++) {
            String previous = p.history().get(i);
            if (existing.contains(previous)) {
                List<String> rest = p.history().subList(i + 1, p.history().size());
                store.put(adapter.pointerKey(), new AdapterPointer(previous, List.copyOf(rest)).toJson(), "application/json");
                return previous;
            }
        }
        throw new StorageException("ADAPTER_NO_PREVIOUS_VERSION", adapter + " is at " + p.version()
                + " and has no earlier version to roll back to");
    }

    /**
     * Erasure: removes every version and the pointer, then tells every registered hook, so caches drop the
     * adapter from every tier. Returns how many objects were deleted.
     */
    public int delete(AdapterName adapter) {
        int deleted = store.deletePrefix(adapter.prefix());
        if (deleted == 0) {
            throw notFound(adapter.toString());
        }
        erasureHooks.forEach(h -> h.accept(adapter));
        return deleted;
    }

    /** Called after an adapter is erased (in this process; other processes learn of it over the queue). */
    public void onErase(Consumer<AdapterName> hook) {
        erasureHooks.add(hook);
    }

    public AdapterRules rules() {
        return rules;
    }

    public String baseSha256() {
        return validator == null ? null : validator.baseSha256();
    }

    private void movePointer(AdapterName adapter, String version) {
        AdapterPointer next = pointer(adapter).map(p -> p.moveTo(version)).orElse(new AdapterPointer(version, List.of()));
        store.put(adapter.pointerKey(), next.toJson(), "application/json");
    }

    private Optional<AdapterPointer> pointer(AdapterName adapter) {
        try {
            return Optional.of(AdapterPointer.fromJson(adapter.pointerKey(), store.get(adapter.pointerKey())));
        } catch (StorageException e) {
            if (e.code().equals("OBJECT_NOT_FOUND")) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static StorageException notFound(String what) {
        return new StorageException("ADAPTER_NOT_FOUND", "adapter " + what + " does not exist");
    }

    private static byte[] readFile(Path file, long limit) {
        try {
            long size = Files.size(file);
            if (size > limit) {
                throw new StorageException("ADAPTER_TOO_LARGE", file + " is " + size + " bytes; the limit is " + limit);
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new StorageException("FILE_NOT_FOUND", file + ": no such file");
        } catch (IOException e) {
            throw new StorageException("FILE_UNREADABLE", file + ": " + e.getMessage(), e);
        }
    }
}
