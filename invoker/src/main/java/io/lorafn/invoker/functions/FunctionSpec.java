package io.lorafn.invoker.functions;

/**
 * A tenant's function: the adapter it runs and which version, a fixed one or {@code "latest"} (resolved
 * through the registry's pointer when a call is admitted, so a call runs one version start to end).
 */
public record FunctionSpec(String tenant, String name, String adapter, String version, long timeoutMs) {
    public static final String LATEST = "latest";
    /** The longest deadline a function may ask for. */
    public static final long MAX_TIMEOUT_MS = 600_000;

    /**
     * @param timeoutMs the deadline of each call, from acceptance; 0 takes the invoker's default
     */
    public FunctionSpec {
        if (timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
            throw new IllegalArgumentException("timeout_ms must be between 1 and " + MAX_TIMEOUT_MS + " (0 or absent: the default), got " + timeoutMs);
        }
    }

    /** A function with the invoker's default deadline. */
    public FunctionSpec(String tenant, String name, String adapter, String version) {
        this(tenant, name, adapter, version, 0);
    }

    public boolean followsLatest() {
        return LATEST.equals(version);
    }
}
