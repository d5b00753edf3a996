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
