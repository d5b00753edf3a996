package io.lorafn.storage;

/**
 * The storage module's one error type. {@link #code()} is stable and machine-readable (for example
 * {@code SAFETENSORS_TRUNCATED}); the message names the file, the tensor or the field concerned.
 */
public final class StorageException extends RuntimeException {
    private final String code;

    public StorageException(String code, String message) {
        super(message);
        this.code = code;
    }

    public StorageException(String code, String message, Throwable cause) {
        super(message, cause);
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
