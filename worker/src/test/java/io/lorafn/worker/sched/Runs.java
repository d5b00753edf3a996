package io.lorafn.worker.sched;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.GenerationResult;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.SamplingParams;
import java.util.List;
import java.util.Random;

/** Solo baselines, requests and comparisons shared by the scheduler tests. */
final class Runs {
    private Runs() {
    }

    record Outcome(GenerationResult result, RecordingSink sink) {
    }

    /** The sequence alone, through Generator: one prefill step, then one decode step per token. */
    static Outcome solo(LoadedModel m, GenerationRequest req) {
        RecordingSink sink = new RecordingSink();
        return new Outcome(m.generator().generate(req, sink, () -> false), sink);
    }

    static GenerationRequest greedy(int[] prompt, LoraAdapter adapter, int maxTokens) {
        return new GenerationRequest(prompt, adapter, maxTokens, List.of(), SamplingParams.GREEDY);
    }

    static int[] prompt(long seed, int length) {
        return new Random(seed).ints(length, 3, 300).toArray();
    }

    /** Steps until nothing is queued or running. */
    static void runToIdle(Scheduler s) {
        for (int i = 0; !s.idle(); i++) {
            assertTrue(i < 10_000, "the scheduler did not drain");
            s.step();
        }
    }

    /** Same tokens, text, finish reason, and bitwise the same logits at every sampled step; streamed once. */
    static void assertSameAsSolo(Outcome solo, GenerationResult batched, RecordingSink sink, String what) {
        assertArrayEquals(solo.result().tokens(), batched.tokens(), what + ": tokens");
        assertEquals(solo.result().text(), batched.text(), what + ": text");
        assertEquals(solo.result().finishReason(), batched.finishReason(), what + ": finish reason");
        assertEquals(solo.sink().logits.size(), sink.logits.size(), what + ": sampled steps");
        for (int t = 0; t < sink.logits.size(); t++) {
            assertArrayEquals(solo.sink().logits.get(t), sink.logits.get(t), what + ": logits of step " + t);
        }
        assertEquals(batched.text(), sink.text.toString(), what + ": streamed text is the result, each piece once");
        assertArrayEquals(batched.tokens(), sink.tokens.stream().mapToInt(Integer::intValue).toArray(),
                what + ": each token streamed once");
    }
}
