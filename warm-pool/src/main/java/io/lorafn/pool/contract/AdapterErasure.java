package io.lorafn.pool.contract;

/** An adapter that was deleted from the registry: every worker drops every version of it from every tier. */
public record AdapterErasure(String tenant, String adapterName) {
}
