package io.lorafn.invoker.http;

/**
 * An error answered as {@code {"error": {"code", "message"}}} with an honest status (DESIGN.md). The one
 * place where a failure becomes a status; {@code retryAfterSeconds} > 0 adds a Retry-After header.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String code;
    private final long retryAfterSeconds;

    public ApiError(int status, String code, String message) {
        this(status, code, message, 0);
    }

    public ApiError(int status, String code, String message, long retryAfterSeconds) {
        super(message);
        this.status = status;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /** The status for a recorded error code of a finished call. */
    public static int statusOf(String code) {
        return switch (code) {
            case "DEADLINE_EXCEEDED" -> 504;
            case "ADAPTER_NOT_FOUND" -> 404;
            case "PROMPT_TOO_LONG" -> 413;
            case "BAD_SAMPLING", "BAD_STOP", "BAD_MAX_TOKENS", "EMPTY_PROMPT" -> 400;
            default -> code.startsWith("ADAPTER_") ? 422 : 500;
        };
    }
}
