package io.lorafn.worker.adapters;

import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.storage.registry.FetchedAdapter;

/**
 * The cold tier: fetches one adapter version, verified against its manifest. In production this is
 * {@code AdapterRegistry::fetch}.
 */
@FunctionalInterface
public interface AdapterSource {
    FetchedAdapter fetch(AdapterRef ref);
}
