package io.lorafn.storage.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of one adapter version, written after its files and before the pointer moves:
 * a reader that finds a manifest finds every file it names, and checks each against its sha256.
 *
 * @param files           file name → sha256 and size
 * @param baseModelSha256 the base model the adapter was validated against (the resident image's source hash)
 * @param createdAt       ISO-8601 instant
 */
public record AdapterManifest(String tenant, String name, String version, Map<String, FileDigest> files, int rank,
                              double alpha, List<String> targetModules, String baseModelSha256, String createdAt) {
    public static final String FILE = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public record FileDigest(String sha256, long size) {
    }

    public AdapterRef ref() {
        return new AdapterRef(tenant, name, version);
    }

    public long totalBytes() {
        return files.values().stream().mapToLong(FileDigest::size).sum();
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static AdapterManifest fromJson(String source, byte[] json) {
        try {
            AdapterManifest m = JSON.readValue(json, AdapterManifest.class);
            if (m.files() == null || m.baseModelSha256() == null) {
                throw new StorageException("ADAPTER_MANIFEST_INVALID", source + ": manifest lacks files or base model hash");
            }
            return m;
        } catch (IOException e) {
            throw new StorageException("ADAPTER_MANIFEST_INVALID", source + ": not a manifest: " + e.getMessage(), e);
        }
    }
}
