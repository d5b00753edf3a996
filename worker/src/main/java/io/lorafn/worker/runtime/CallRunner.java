package io.lorafn.worker.runtime;

import io.lorafn.pool.contract.ActivationRecord;
import io.lorafn.pool.contract.ActivationStatus;
import io.lorafn.pool.contract.ErrorInfo;
import io.lorafn.pool.contract.Invocation;
import io.lorafn.pool.contract.ResultChunk;
import io.lorafn.pool.contract.Timings;
import io.lorafn.pool.contract.Usage;
import io.lorafn.pool.contract.UsageEvent;
import io.lorafn.pool.queue.ReplyChannel;
import io.lorafn.storage.StorageException;
import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.adapters.AdapterCache;
import io.lorafn.worker.adapters.AdapterLease;
import io.lorafn.worker.adapters.AdapterTier;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.FinishReason;
import io.lorafn.worker.engine.GenerationResult;
import io.lorafn.worker.engine.SamplingParams;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SequenceHandle;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Runs one delivered call to its end on this worker: adapter lease, tokenize, generate in the shared
 * batch, stream chunks, then the activation record, the final chunk and the usage event. Every path ends
 * in a recorded result or a recorded error; the returned future never fails, and the caller acks the
 * call when it completes.
 */
public final class CallRunner {
    private final Scheduler scheduler;
    private final Tokenizer tokenizer;
    private final AdapterCache adapters;
    private final ReplyChannel replies;
    private final String workerId;
    private volatile long warmAtMs;
    private volatile long restoreMs;

    public CallRunner(String workerId, Scheduler scheduler, Tokenizer tokenizer, AdapterCache adapters, ReplyChannel replies) {
        this.workerId = workerId;
        this.scheduler = scheduler;
        this.tokenizer = tokenizer;
        this.adapters = adapters;
        this.replies = replies;
    }

    /**
     * This worker became WARM at {@code warmAtMs} after a restore of {@code restoreMs}: a call accepted
     * before that waited for the restore, which its timings and its cold start show.
     */
    public void restoredAt(long warmAtMs, long restoreMs) {
        this.warmAtMs = warmAtMs;
        this.restoreMs = restoreMs;
    }

    public CompletableFuture<ActivationRecord> run(Invocation call) {
        long pickedUpMs = System.currentTimeMillis();
        long queueMs = Math.max(0, pickedUpMs - call.acceptedAtMs());
        long waitedForRestore = call.acceptedAtMs() < warmAtMs ? Math.min(restoreMs, warmAtMs - call.acceptedAtMs()) : 0;
        if (call.expired(pickedUpMs)) {
            return fail(call, new ErrorInfo("DEADLINE_EXCEEDED", "the call waited " + queueMs + " ms, past its deadline"),
                    new Timings(queueMs, 0, 0, 0, queueMs), 0, null);
        }
        AdapterRef ref = new AdapterRef(call.tenant(), call.adapterName(), call.adapterVersion());
        return adapters.acquire(ref).handle((lease, error) -> {
            if (error != null) {
                return fail(call, errorInfo(AdapterCache.cause(error)), new Timings(queueMs, 0, 0, 0,
                        System.currentTimeMillis() - call.acceptedAtMs()), 0, null);
            }
            return generate(call, lease, queueMs, waitedForRestore);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<ActivationRecord> generate(Invocation call, AdapterLease lease, long queueMs, long waitedForRestore) {
        long adapterLoadMs = TimeUnit.NANOSECONDS.toMillis(lease.loadNanos());
        ChunkStream chunks = new ChunkStream(replies, call);
        CompletableFuture<GenerationResult> result;
        long[] submittedMs = {System.currentTimeMillis()};
        try {
            int[] prompt = tokenizer.encode(call.prompt(), true);
            long seed = call.seed() != null ? call.seed() : ThreadLocalRandom.current().nextLong();
            GenerationRequest req = new GenerationRequest(prompt, lease.adapter(), call.maxTokens(), call.stop(),
                    new SamplingParams(call.temperature(), call.topK(), call.topP(), seed));
            submittedMs[0] = System.currentTimeMillis();
            SequenceHandle handle = scheduler.submit(req, chunks);
            // past its deadline the client has had its 504: stop spending steps on the call
            CompletableFuture.delayedExecutor(Math.max(0, call.deadlineMs() - System.currentTimeMillis()), TimeUnit.MILLISECONDS)
                    .execute(handle::cancel);
            result = handle.result();
        } catch (RuntimeException e) {
            lease.close();
            return fail(call, errorInfo(e), new Timings(queueMs, 0, adapterLoadMs, 0, System.currentTimeMillis() - call.acceptedAtMs()),
                    chunks.nextSeq(), tier(lease));
        }
        return result.handle((r, error) -> {
            lease.close();
            long totalMs = System.currentTimeMillis() - call.acceptedAtMs();
            if (error != null) {
                return fail(call, errorInfo(AdapterCache.cause(error)), new Timings(queueMs, 0, adapterLoadMs, 0, totalMs),
                        chunks.nextSeq(), tier(lease));
            }
            if (r.finishReason() == FinishReason.CANCELLED) {
                return fail(call, new ErrorInfo("DEADLINE_EXCEEDED", "the call passed its deadline after " + r.tokens().length
                        + " generated tokens"), new Timings(queueMs, 0, adapterLoadMs, 0, totalMs), chunks.nextSeq(), tier(lease));
            }
            // time to first token from acceptance: the queue, the adapter's load, tokenizing, then prefill and the first step
            long ttftMs = submittedMs[0] - call.acceptedAtMs() + TimeUnit.NANOSECONDS.toMillis(r.timeToFirstTokenNanos());
            return succeed(call, r, chunks, new Timings(queueMs, waitedForRestore, adapterLoadMs, ttftMs, totalMs),
                    lease.servedFrom() == AdapterTier.COLD || waitedForRestore > 0, tier(lease));
        }).thenCompose(f -> f);
    }

    /** @param coldStart the call waited for a worker's restore, or its adapter came from the object store */
    private CompletableFuture<ActivationRecord> succeed(Invocation call, GenerationResult r, ChunkStream chunks, Timings timings,
                                                        boolean coldStart, String adapterTier) {
        Usage usage = new Usage(r.promptTokens(), r.tokens().length);
        ActivationRecord record = new ActivationRecord(call.id(), call.tenant(), call.function(), call.adapterVersion(),
                ActivationStatus.SUCCEEDED, r.text(), r.finishReason().wireName(), usage, timings, coldStart, null, call.acceptedAtMs(),
                workerId, adapterTier);
        ResultChunk last = new ResultChunk(call.id(), chunks.nextSeq(), call.stream() ? "" : r.text(), true,
                r.finishReason().wireName(), usage, timings, coldStart, null);
        // compute_ms: the call's time in the engine, from its first scheduled step to its end
        long computeMs = Math.max(0, timings.totalMs() - timings.queueMs() - timings.adapterLoadMs());
        UsageEvent event = new UsageEvent(call.id(), call.tenant(), call.function(), day(), usage.promptTokens(),
                usage.completionTokens(), computeMs, coldStart);
        return chunks.drained()
                .compose(v -> replies.finish(record, call.replyTo(), last, event))
                .map(v -> record).toCompletionStage().toCompletableFuture();
    }

    private CompletableFuture<ActivationRecord> fail(Invocation call, ErrorInfo error, Timings timings, int seq, String adapterTier) {
        ActivationRecord record = new ActivationRecord(call.id(), call.tenant(), call.function(), call.adapterVersion(),
                ActivationStatus.FAILED, null, "error", null, timings, false, error, call.acceptedAtMs(), workerId, adapterTier);
        return replies.finish(record, call.replyTo(), ResultChunk.failed(call.id(), seq, error, timings), null)
                .map(v -> record).toCompletionStage().toCompletableFuture();
    }

    private static String tier(AdapterLease lease) {
        return lease.servedFrom().tag();
    }

    private static ErrorInfo errorInfo(Throwable t) {
        if (t instanceof StorageException s) {
            return new ErrorInfo(s.code(), s.getMessage());
        }
        if (t instanceof WorkerException w) {
            return new ErrorInfo(w.code(), w.getMessage());
        }
        return new ErrorInfo("INTERNAL", t.toString());
    }

    private static String day() {
        return Instant.now().atZone(ZoneOffset.UTC).toLocalDate().toString();
    }
}
