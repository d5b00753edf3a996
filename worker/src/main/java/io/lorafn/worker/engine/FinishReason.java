package io.lorafn.worker.engine;

/** Why a generation ended; the lower-case names are OpenAI's finish_reason values. */
public enum FinishReason {
    STOP, LENGTH, CANCELLED;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
