package io.lorafn.storage.registry;

import java.util.List;

/** What {@code list} shows for one adapter: the version calls get, and every complete version. */
public record AdapterSummary(String tenant, String name, String latest, List<String> versions) {
}
