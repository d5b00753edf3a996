package io.lorafn.storage.registry;

import java.lang.foreign.MemorySegment;

/**
 * One adapter version's files, fetched and checked against its manifest. The weights are in native
 * memory that the garbage collector frees once nothing refers to them ({@code ObjectStore.fetchOffHeap}).
 */
public record FetchedAdapter(AdapterManifest manifest, byte[] configJson, MemorySegment weights) {
    public long byteSize() {
        return configJson.length + weights.byteSize();
    }
}
