package io.lorafn.storage.registry;

import io.lorafn.storage.StorageException;
import java.util.regex.Pattern;

/** A tenant's adapter, all versions: the unit of promotion, rollback and erasure. */
public record AdapterName(String tenant, String name) {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    public AdapterName {
        check("tenant", tenant);
        check("adapter name", name);
    }

    public AdapterRef version(String version) {
        return new AdapterRef(tenant, name, version);
    }

    /** The object prefix that holds every version and the pointer. */
    public String prefix() {
        return "adapters/" + tenant + "/" + name + "/";
    }

    String pointerKey() {
        return prefix() + "latest.json";
    }

    @Override
    public String toString() {
        return tenant + "/" + name;
    }

    /** Object keys are built from these segments, so each must be one plain path segment. */
    static void check(String what, String value) {
        if (value == null || !SEGMENT.matcher(value).matches() || value.contains("..")) {
            throw new StorageException("ADAPTER_BAD_NAME", what + " '" + value
                    + "' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }
}
