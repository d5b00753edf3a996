package io.lorafn.worker;

/** The worker module's one error type, with a stable code such as {@code PROMPT_TOO_LONG}. */
public final class WorkerException extends RuntimeException {
    private final String code;

    public WorkerException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
