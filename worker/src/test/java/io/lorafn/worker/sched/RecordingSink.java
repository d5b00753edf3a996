package io.lorafn.worker.sched;

import io.lorafn.worker.engine.TokenSink;
import java.util.ArrayList;
import java.util.List;

/** Keeps everything a sequence streamed, to compare a batched run with its solo run. */
final class RecordingSink implements TokenSink {
    final List<Integer> tokens = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    final List<float[]> logits = new ArrayList<>();

    @Override
    public synchronized void onToken(int tokenId, String released) {
        if (tokenId >= 0) {
            tokens.add(tokenId);
        }
        text.append(released);
    }

    @Override
    public synchronized void onLogits(float[] l) {
        logits.add(l);
    }

    synchronized int tokenCount() {
        return tokens.size();
    }
}
