package io.lorafn.invoker.functions;

/**
 * A tenant's function: the adapter it runs and which version, a fixed one or {@code "latest"} (resolved
 * through the registry's pointer when a call is admitted, so a call runs one version start to end).
 */
public record FunctionSpec(String tenant, String name, String adapter, String version) {
    public static final String LATEST = "latest";

    public boolean followsLatest() {
        return LATEST.equals(version);
    }
}
