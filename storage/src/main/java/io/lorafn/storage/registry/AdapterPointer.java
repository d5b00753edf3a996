package io.lorafn.storage.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.lorafn.storage.StorageException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code latest.json}: the version calls without an explicit version get, and the versions it replaced,
 * newest first, which is what rollback walks back through.
 */
record AdapterPointer(String version, List<String> history) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Enough to roll back through any realistic incident; older entries are dropped. */
    private static final int MAX_HISTORY = 32;

    AdapterPointer moveTo(String next) {
        if (next.equals(version)) {
            return this;
        }
        List<String> h = new ArrayList<>();
        h.add(version);
        h.addAll(history);
        h.remove(next);
        return new AdapterPointer(next, List.copyOf(h.subList(0, Math.min(h.size(), MAX_HISTORY))));
    }

    byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static AdapterPointer fromJson(String source, byte[] json) {
        try {
            AdapterPointer p = JSON.readValue(json, AdapterPointer.class);
            return new AdapterPointer(p.version(), p.history() == null ? List.of() : p.history());
        } catch (IOException e) {
            throw new StorageException("ADAPTER_MANIFEST_INVALID", source + ": not a pointer: " + e.getMessage(), e);
        }
    }
}
