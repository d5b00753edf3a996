package io.lorafn.worker.runtime;

import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.ResultChunk;
import io.lorafn.pool.queue.ReplyChannel;
import io.lorafn.worker.engine.TokenSink;
import io.vertx.core.Future;

/**
 * Streams a call's text to its invoker as the engine produces it, in order: each chunk is written after
 * the previous one, so the reply stream holds them by sequence number. Nothing is sent for calls that
 * did not ask to stream; their text goes in the final chunk.
 */
final class ChunkStream implements TokenSink {
    private final ReplyChannel replies;
    private final Invocation call;
    private Future<Void> tail = Future.succeededFuture();
    private int seq;

    ChunkStream(ReplyChannel replies, Invocation call) {
        this.replies = replies;
        this.call = call;
    }

    @Override
    public synchronized void onToken(int tokenId, String text) {
        if (!call.stream() || text.isEmpty()) {
            return;
        }
        ResultChunk chunk = ResultChunk.text(call.id(), seq++, text);
        tail = tail.compose(v -> replies.publish(call.replyTo(), chunk));
    }

    synchronized int nextSeq() {
        return seq;
    }

    /** Completes when every chunk so far is written. */
    synchronized Future<Void> drained() {
        return tail;
    }
}
