package io.lorafn.worker.engine;

/** Receives a sequence's output as it is produced. */
@FunctionalInterface
public interface TokenSink {
    /**
     * @param tokenId the sampled token, or -1 for the last call, which only releases held-back text
     * @param text    text that is now final (may be empty: a partial UTF-8 character or a possible
     *                stop-sequence prefix is held back until it resolves)
     */
    void onToken(int tokenId, String text);

    TokenSink NONE = (id, text) -> { };
}
