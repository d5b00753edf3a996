package io.lorafn.storage.registry;

/** One adapter version's files, fetched and checked against its manifest. */
public record FetchedAdapter(AdapterManifest manifest, byte[] configJson, byte[] weights) {
    public long byteSize() {
        return (long) configJson.length + weights.length;
    }
}
