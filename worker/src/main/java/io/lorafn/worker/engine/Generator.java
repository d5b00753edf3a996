package io.lorafn.worker.engine;

import io.lorafn.storage.hf.tokenizer.Tokenizer;
import io.lorafn.worker.WorkerException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Generates one sequence: prefill of the whole prompt in one step, then a decode step per token,
 * until EOS, a stop sequence, max tokens, the context end, or cancellation.
 */
public final class Generator {
    private final LlamaEngine engine;
    private final Tokenizer tokenizer;
    private final Set<Integer> eos;

    /** @param tokenizer null for a model without one: tokens stream as ids and stop strings are refused */
    public Generator(LlamaEngine engine, Tokenizer tokenizer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.eos = new HashSet<>(engine.config().eosTokenIds());
        if (tokenizer != null) {
            for (int id : tokenizer.eosIds()) {
                eos.add(id);
            }
        }
    }

    public GenerationResult generate(GenerationRequest req, TokenSink sink, BooleanSupplier cancelled) {
        int context = engine.config().maxPositionEmbeddings();
        int[] prompt = req.promptTokens();
        if (prompt.length >= context) {
            throw new WorkerException("PROMPT_TOO_LONG", "the prompt has " + prompt.length + " tokens; the model's context is "
                    + context);
        }
        if (tokenizer == null && !req.stop().isEmpty()) {
            throw new WorkerException("BAD_STOP", "stop sequences need a tokenizer; this model has none");
        }
        long start = System.nanoTime();
        KvCache cache = engine.newCache(Math.min(context, prompt.length + req.maxTokens()));
        Sampler sampler = new Sampler(req.sampling());
        Tokenizer.StreamDecoder decoder = tokenizer == null ? null : tokenizer.newStreamDecoder();
        StopMatcher stops = new StopMatcher(req.stop());

        List<BatchRow> rows = new ArrayList<>(prompt.length);
        for (int i = 0; i < prompt.length; i++) {
            rows.add(new BatchRow(cache, prompt[i], i, req.adapter(), i == prompt.length - 1));
        }
        float[] logits = engine.forward(rows)[prompt.length - 1];
        long ttft = 0;
        List<Integer> out = new ArrayList<>();
        FinishReason reason = FinishReason.LENGTH;
        while (true) {
            if (cancelled.getAsBoolean()) {
                reason = FinishReason.CANCELLED;
                break;
            }
            int token = sampler.sample(logits);
            if (out.isEmpty()) {
                ttft = System.nanoTime() - start;
            }
            if (eos.contains(token)) {
                reason = FinishReason.STOP;
                break;
            }
            out.add(token);
            // Special tokens (chat markers, reserved ids) are control, not text: vLLM's skip_special_tokens default.
            boolean text = decoder != null && !tokenizer.isSpecial(token);
            String released = text ? stops.append(decoder.push(token)) : "";
            sink.onToken(token, released);
            if (stops.stopped()) {
                reason = FinishReason.STOP;
                break;
            }
            int position = prompt.length + out.size() - 1;
            if (out.size() >= req.maxTokens() || position + 1 >= context) {
                break;
            }
            logits = engine.forward(List.of(new BatchRow(cache, token, position, req.adapter(), true)))[0];
        }
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
        int[] tokens = out.stream().mapToInt(Integer::intValue).toArray();
        return new GenerationResult(tokens, stops.text(), reason, prompt.length, ttft, System.nanoTime() - start);
    }
}
