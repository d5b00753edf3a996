package io.lorafn.storage.registry;

/** One immutable version of a tenant's adapter. Caches key on it, so a new version never serves old bytes. */
public record AdapterRef(String tenant, String name, String version) {
    public AdapterRef {
        AdapterName.check("tenant", tenant);
        AdapterName.check("adapter name", name);
        AdapterName.check("version", version);
        if (version.equals("latest.json")) {
            throw new io.lorafn.storage.StorageException("ADAPTER_BAD_NAME", "version 'latest.json' is reserved");
        }
    }

    /** {@code tenant/name/version}, the form workers report their adapters in. */
    public static AdapterRef parse(String text) {
        String[] parts = text.split("/");
        if (parts.length != 3) {
            throw new io.lorafn.storage.StorageException("ADAPTER_BAD_NAME", "'" + text + "' is not tenant/name/version");
        }
        return new AdapterRef(parts[0], parts[1], parts[2]);
    }

    public AdapterName adapter() {
        return new AdapterName(tenant, name);
    }

    public String prefix() {
        return adapter().prefix() + version + "/";
    }

    public String key(String file) {
        return prefix() + file;
    }

    @Override
    public String toString() {
        return tenant + "/" + name + "@" + version;
    }
}
