package io.lorafn.worker.sched;

import static io.lorafn.worker.sched.Runs.greedy;
import static io.lorafn.worker.sched.Runs.prompt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.engine.FinishReason;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.GenerationResult;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.TestModels;
import io.lorafn.worker.engine.TokenSink;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CancellationTest {
    @TempDir
    static Path root;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = TestModels.model(root, "cancel", TestModels.tiny(), DType.F32, 61);
    }

    @Test
    void cancelledSequenceEndsCancelledKeepsItsTokensAndFreesItsBlocks() {
        try (LoadedModel m = LoadedModel.open(model, 2);
             Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(2, 32, 1 << 20))) {
            GenerationRequest cancelledReq = greedy(prompt(1, 6), null, 100);
            RecordingSink sink = new RecordingSink();
            SequenceHandle cancelled = s.submit(cancelledReq, sink);
            GenerationRequest otherReq = greedy(prompt(2, 6), null, 30);
            SequenceHandle other = s.submit(otherReq, TokenSink.NONE);
            SequenceHandle neverAdmitted = s.submit(greedy(prompt(3, 6), null, 30), TokenSink.NONE);
            for (int i = 0; i < 5; i++) {
                s.step();
            }
            assertEquals(2, s.running());
            assertTrue(s.freeBlocks() < s.totalBlocks());
            cancelled.cancel();
            neverAdmitted.cancel();
            int streamed = sink.tokenCount();
            Runs.runToIdle(s);

            GenerationResult r = cancelled.result().join();
            assertEquals(FinishReason.CANCELLED, r.finishReason());
            assertEquals(streamed, r.tokens().length, "cancellation takes effect between steps");
            int[] solo = Runs.solo(m, cancelledReq).result().tokens();
            assertArrayEquals(Arrays.copyOf(solo, streamed), r.tokens());
            assertEquals(sink.text.toString(), r.text());
            assertEquals(FinishReason.CANCELLED, neverAdmitted.result().join().finishReason());
            assertEquals(0, neverAdmitted.result().join().tokens().length);
            assertArrayEquals(Runs.solo(m, otherReq).result().tokens(), other.result().join().tokens(), "the other ran on");
            assertEquals(s.totalBlocks(), s.freeBlocks(), "every block is back");
        }
    }

    @Test
    void cancellingTheResultFutureAlsoStopsTheSequence() {
        try (LoadedModel m = LoadedModel.open(model, 2);
             Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(2, 32, 1 << 20))) {
            SequenceHandle h = s.submit(greedy(prompt(1, 6), null, 100), TokenSink.NONE);
            s.step();
            h.result().cancel(true);
            s.step();
            assertTrue(s.idle());
            assertEquals(s.totalBlocks(), s.freeBlocks());
        }
    }
}
