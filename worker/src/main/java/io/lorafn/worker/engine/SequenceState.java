package io.lorafn.worker.engine;

import io.lorafn.storage.hf.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence between forward steps: the tokens known so far (prompt, then generated), its KV cache, its
 * sampler, stop matcher and stream decoder. {@link Generator} and the scheduler both drive sequences
 * through this class, so sampling, stopping and streaming are written once.
 *
 * <p>The cache may be released at any step boundary (preemption). The tokens, the sampler's random state
 * and the text state stay here, so the next rows recompute the cache from position 0 and the sequence goes
 * on exactly as if it had never been interrupted: nothing is sampled or streamed twice.
 */
public final class SequenceState {
    private final GenerationRequest req;
    private final TokenRules rules;
    private final KvCache cache;
    private final TokenSink sink;
    private final long startNanos;
    private final Sampler sampler;
    private final StopMatcher stops;
    private final Tokenizer.StreamDecoder decoder;
    private int[] tokens;
    private int known;
    private long ttftNanos;
    private long totalNanos;
    private FinishReason finish;

    /** @param startNanos when the caller asked for this sequence; time to first token counts from here */
    public SequenceState(GenerationRequest req, TokenRules rules, KvCache cache, TokenSink sink, long startNanos) {
        this.req = req;
        this.rules = rules;
        this.cache = cache;
        this.sink = sink;
        this.startNanos = startNanos;
        this.sampler = new Sampler(req.sampling());
        this.stops = new StopMatcher(req.stop());
        this.decoder = rules.tokenizer() == null ? null : rules.tokenizer().newStreamDecoder();
        int[] prompt = req.promptTokens();
        this.tokens = Arrays.copyOf(prompt, prompt.length + Math.min(req.maxTokens(), 64));
        this.known = prompt.length;
    }

    public KvCache cache() {
        return cache;
    }

    /** Known tokens not yet in the cache: the prompt at first, then one per decode step, all of them after a release. */
    public int pending() {
        return known - cache.length();
    }

    public int generated() {
        return known - req.promptTokens().length;
    }

    /**
     * Rows for the next {@code max} pending tokens, at the positions that follow the cache. Only the row of
     * the last known token asks for logits: the next token is sampled from it.
     */
    public List<BatchRow> nextRows(int max) {
        int from = cache.length();
        int n = Math.min(pending(), max);
        List<BatchRow> rows = new ArrayList<>(n);
        for (int p = from; p < from + n; p++) {
            rows.add(new BatchRow(cache, tokens[p], p, req.adapter(), p == known - 1));
        }
        return rows;
    }

    /**
     * Samples the next token from the logits of the last known token, streams it, and ends the sequence on
     * EOS, a stop sequence, max tokens or the context end.
     *
     * @return whether the sequence has finished
     */
    public boolean accept(float[] logits) {
        sink.onLogits(logits);
        int token = sampler.sample(logits);
        if (generated() == 0) {
            ttftNanos = System.nanoTime() - startNanos;
        }
        if (rules.isEos(token)) {
            finish(FinishReason.STOP);
            return true;
        }
        append(token);
        String released = rules.isText(token) ? stops.append(decoder.push(token)) : "";
        sink.onToken(token, released);
        if (stops.stopped()) {
            finish(FinishReason.STOP);
        } else if (generated() >= req.maxTokens() || known >= rules.context()) {
            // The new token would sit at position known - 1; the logits it yields would be for a position past the context.
            finish(FinishReason.LENGTH);
        }
        return finish != null;
    }

    /** Ends the sequence between steps; text held back for a possible stop sequence is released. */
    public void cancel() {
        if (finish == null) {
            finish(FinishReason.CANCELLED);
        }
    }

    public boolean finished() {
        return finish != null;
    }

    /** The outcome; only once {@link #finished()}. */
    public GenerationResult result() {
        if (finish == null) {
            throw new IllegalStateException("the sequence has not finished");
        }
        int prompt = req.promptTokens().length;
        return new GenerationResult(Arrays.copyOfRange(tokens, prompt, known), stops.text(), finish, prompt, ttftNanos,
                totalNanos);
    }

    private void append(int token) {
        if (known == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[known++] = token;
    }

    private void finish(FinishReason reason) {
        if (!stops.stopped()) {
            // Bytes of an unfinished character are rendered as the full decode would render them.
            String rest = decoder == null ? "" : stops.append(decoder.flush());
            if (stops.stopped()) {
                reason = FinishReason.STOP;
            } else {
                rest += stops.flush();
            }
            if (!rest.isEmpty()) {
                sink.onToken(-1, rest);
            }
        }
        finish = reason;
        totalNanos = System.nanoTime() - startNanos;
    }
}
