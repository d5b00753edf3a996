package io.lorafn.worker.sched;

import static io.lorafn.worker.sched.Runs.greedy;
import static io.lorafn.worker.sched.Runs.prompt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.hf.ModelConfig;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.KvBlockPool;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.SamplingParams;
import io.lorafn.worker.engine.TestModels;
import io.lorafn.worker.engine.TokenSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pool of a few KV blocks: preemption and recomputation are invisible in every result. */
class KvPressureTest {
    private static final int BLOCKS = 6;
    private static final int BLOCK_POSITIONS = 16;

    @TempDir
    static Path root;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = TestModels.model(root, "kv", TestModels.tiny(), DType.BF16, 51);
    }

    private static SchedulerConfig fewBlocks(ModelConfig c) {
        long bytes = BLOCKS * KvBlockPool.bytesPerBlock(c.numHiddenLayers(), c.kvDim(), BLOCK_POSITIONS);
        return new SchedulerConfig(4, 64, bytes, BLOCK_POSITIONS);
    }

    @Test
    void preemptedSequencesFinishExactlyAsTheirSoloRuns() {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            List<GenerationRequest> requests = new ArrayList<>(List.of(
                    greedy(prompt(1, 10), null, 40),
                    new GenerationRequest(prompt(2, 14), null, 40, List.of(), new SamplingParams(0.9, 40, 0.9, 11)),
                    greedy(prompt(3, 20), null, 36),
                    new GenerationRequest(prompt(4, 8), null, 45, List.of(), new SamplingParams(1.1, 0, 1.0, 12))));
            // A stop string that first appears late in the sampled text, so matching state must survive preemption.
            String text = Runs.solo(m, requests.get(3)).result().text();
            String stop = text.substring(text.length() * 3 / 4, text.length() * 3 / 4 + 2);
            requests.add(new GenerationRequest(prompt(4, 8), null, 45, List.of(stop), new SamplingParams(1.1, 0, 1.0, 12)));

            List<SequenceHandle> handles = new ArrayList<>();
            List<RecordingSink> sinks = new ArrayList<>();
            try (Scheduler s = new Scheduler(m.engine(), m.tokenizer(), fewBlocks(m.engine().config()))) {
                assertEquals(BLOCKS, s.totalBlocks());
                for (GenerationRequest req : requests) {
                    RecordingSink sink = new RecordingSink();
                    handles.add(s.submit(req, sink));
                    sinks.add(sink);
                }
                Runs.runToIdle(s);
                assertTrue(s.preemptions() > 0, "the pool was small enough to force preemption");
                for (int sampled : new int[] {1, 3, 4}) {
                    assertTrue(handles.get(sampled).preemptions() > 0, "sampled sequence " + sampled + " was preempted: "
                            + "its sampler and stop matcher carried over");
                }
                assertEquals(s.totalBlocks(), s.freeBlocks(), "every block is back");
            }
            for (int i = 0; i < requests.size(); i++) {
                Runs.assertSameAsSolo(Runs.solo(m, requests.get(i)), handles.get(i).result().join(), sinks.get(i),
                        "sequence " + i);
            }
        }
    }

    @Test
    void requestThatCanNeverFitThePoolFailsAtSubmit() {
        try (LoadedModel m = LoadedModel.open(model, 2);
             Scheduler s = new Scheduler(m.engine(), m.tokenizer(), fewBlocks(m.engine().config()))) {
            int fits = BLOCKS * BLOCK_POSITIONS - 10 + 1;
            WorkerException e = assertThrows(WorkerException.class, () -> s.submit(greedy(prompt(5, 10), null, fits + 1),
                    TokenSink.NONE));
            assertEquals("KV_CACHE_FULL", e.code());
            assertTrue(e.getMessage().contains("max_tokens " + fits + " fits"), e.getMessage());
            assertEquals(0, s.waiting(), "nothing was queued");
            SequenceHandle exact = s.submit(greedy(prompt(5, 10), null, fits), TokenSink.NONE);
            Runs.runToIdle(s);
            assertTrue(exact.result().join().tokens().length > 0, "a request that fills the whole pool runs");
        }
    }
}
