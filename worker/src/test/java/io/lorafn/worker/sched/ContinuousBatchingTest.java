package io.lorafn.worker.sched;

import static io.lorafn.worker.sched.Runs.greedy;
import static io.lorafn.worker.sched.Runs.prompt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.peft.LoraAdapter;
import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.SamplingParams;
import io.lorafn.worker.engine.TestModels;
import io.lorafn.worker.engine.TokenSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Batching, chunking and staggered arrival never change what a sequence generates. */
class ContinuousBatchingTest {
    private static final long MIB = 1 << 20;

    @TempDir
    static Path root;

    /** Weight formats the identity is checked for: safetensors dtypes, and resident-image formats. */
    static Stream<String> formats() {
        return Stream.of("F32", "BF16", "Q8_0", "Q4_0");
    }

    private static LoadedModel open(String format) {
        DType dtype = format.equals("BF16") ? DType.BF16 : DType.F32;
        Path model = root.resolve("m-" + dtype);
        if (!model.toFile().exists()) {
            TestModels.model(root, "m-" + dtype, TestModels.tiny(), dtype, 21);
        }
        if (!root.resolve("a1-" + format).toFile().exists()) {
            TestModels.adapter(root, "a1-" + format, model, TestModels.allProjections(4, 1));
            TestModels.adapter(root, "a2-" + format, model, TestModels.spec(8, 8, 2, DType.BF16, true, Map.of(), Map.of()));
        }
        if (!format.startsWith("Q")) {
            return LoadedModel.open(model, 2);
        }
        Path image = root.resolve("m-" + format + ".img");
        if (!image.toFile().exists()) {
            try (ModelDirectory dir = ModelDirectory.open(model)) {
                ResidentImageWriter.write(dir, WeightFormat.valueOf(format), image, Progress.NONE);
            }
        }
        return LoadedModel.open(model, image, 2);
    }

    private static LoadedModel open(DType dtype) {
        return open(dtype.name());
    }

    private record Submitted(GenerationRequest req, SequenceHandle handle, RecordingSink sink) {
    }

    @ParameterizedTest
    @MethodSource("formats")
    void mixedBatchWithStaggeredArrivalMatchesEverySoloRunBitwise(String dtype) {
        try (LoadedModel m = open(dtype)) {
            LoraAdapter a1 = m.loadAdapter(root.resolve("a1-" + dtype));
            LoraAdapter a2 = m.loadAdapter(root.resolve("a2-" + dtype));
            List<List<GenerationRequest>> waves = List.of(
                    List.of(greedy(prompt(1, 5), a1, 12), greedy(prompt(2, 3), null, 20), greedy(prompt(3, 37), a2, 9)),
                    List.of(greedy(prompt(1, 5), a1, 15), greedy(prompt(4, 1), null, 6)),
                    List.of(greedy(prompt(5, 70), a2, 10), new GenerationRequest(prompt(6, 12), a1, 18, List.of(),
                            new SamplingParams(0.8, 0, 0.95, 5))));
            List<Submitted> submitted = new ArrayList<>();
            int[] mixedSteps = new int[1];
            try (Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(4, 24, MIB))) {
                s.onStep(st -> mixedSteps[0] += st.decodeRows() > 0 && st.prefillRows() > 0 ? 1 : 0);
                for (List<GenerationRequest> wave : waves) {
                    for (GenerationRequest req : wave) {
                        RecordingSink sink = new RecordingSink();
                        submitted.add(new Submitted(req, s.submit(req, sink), sink));
                    }
                    for (int i = 0; i < 3; i++) {
                        s.step();
                    }
                }
                Runs.runToIdle(s);
            }
            assertTrue(mixedSteps[0] > 2, "decode rows and prefill chunks shared steps " + mixedSteps[0] + " times");
            for (int i = 0; i < submitted.size(); i++) {
                Submitted sub = submitted.get(i);
                Runs.assertSameAsSolo(Runs.solo(m, sub.req()), sub.handle().result().join(), sub.sink(), dtype + " sequence " + i);
            }
        }
    }

    @Test
    void adapterAndBaseRowsInOneBatchEachMatchTheirOwnAdapterAlone() {
        try (LoadedModel m = open(DType.BF16)) {
            LoraAdapter[] adapters = {m.loadAdapter(root.resolve("a1-BF16")), null, m.loadAdapter(root.resolve("a2-BF16"))};
            int[] shared = prompt(9, 9);
            List<Submitted> submitted = new ArrayList<>();
            try (Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(8, 64, MIB))) {
                for (LoraAdapter a : adapters) {
                    GenerationRequest req = greedy(shared, a, 10);
                    RecordingSink sink = new RecordingSink();
                    submitted.add(new Submitted(req, s.submit(req, sink), sink));
                }
                StepStats first = s.step();
                assertEquals(3, first.sequences(), "all three rows share the first step");
                Runs.runToIdle(s);
            }
            for (int i = 0; i < adapters.length; i++) {
                Submitted sub = submitted.get(i);
                Runs.assertSameAsSolo(Runs.solo(m, sub.req()), sub.handle().result().join(), sub.sink(), "adapter " + i);
            }
            float[] base = submitted.get(1).sink().logits.getFirst();
            assertFalse(Arrays.equals(base, submitted.get(0).sink().logits.getFirst()), "adapter 1 changes the logits");
            assertFalse(Arrays.equals(base, submitted.get(2).sink().logits.getFirst()), "adapter 2 changes the logits");
        }
    }

    @Test
    void chunkedPrefillOfALongPromptNeverStallsDecodingSequences() {
        try (LoadedModel m = open(DType.F32)) {
            int budget = 32;
            try (Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(4, budget, MIB))) {
                List<RecordingSink> decoders = new ArrayList<>();
                List<SequenceHandle> handles = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    RecordingSink sink = new RecordingSink();
                    handles.add(s.submit(greedy(prompt(20 + i, 4), null, 60), sink));
                    decoders.add(sink);
                }
                s.step();
                decoders.forEach(d -> assertEquals(1, d.tokenCount(), "short prompts are prefilled in the first step"));
                GenerationRequest longReq = greedy(prompt(30, 200), null, 5);
                RecordingSink longSink = new RecordingSink();
                SequenceHandle longHandle = s.submit(longReq, longSink);
                int prefillSteps = 0;
                while (longSink.tokenCount() == 0) {
                    int[] before = decoders.stream().mapToInt(RecordingSink::tokenCount).toArray();
                    StepStats st = s.step();
                    prefillSteps++;
                    assertTrue(st.rows() <= budget, "step " + st.step() + " ran " + st.rows() + " rows");
                    assertTrue(st.prefillRows() > 0, "the long prompt advanced in step " + st.step());
                    for (int d = 0; d < decoders.size(); d++) {
                        if (!handles.get(d).result().isDone()) {
                            assertEquals(before[d] + 1, decoders.get(d).tokenCount(),
                                    "decoding sequence " + d + " got one token in step " + st.step());
                        }
                    }
                }
                assertTrue(handles.stream().noneMatch(h -> h.result().isDone()), "all three decoded throughout");
                int chunk = budget - decoders.size();
                assertEquals((200 + chunk - 1) / chunk, prefillSteps,
                        "the 200-token prompt took chunks of the row budget less the three decode rows");
                Runs.runToIdle(s);
                Runs.assertSameAsSolo(Runs.solo(m, longReq), longHandle.result().join(), longSink,
                        "the chunked prompt's sequence");
            }
        }
    }

    @Test
    void promptOutsideTheVocabularyIsRefusedAtSubmitNotInItsNeighboursStep() {
        try (LoadedModel m = open(DType.F32);
             Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(4, 32, MIB))) {
            GenerationRequest good = greedy(prompt(50, 6), null, 8);
            SequenceHandle h = s.submit(good, TokenSink.NONE);
            int vocab = m.engine().config().vocabSize();
            WorkerException e = assertThrows(WorkerException.class, () -> s.submit(greedy(new int[] {1, vocab}, null, 4),
                    TokenSink.NONE));
            assertEquals("TOKEN_OUT_OF_RANGE", e.code());
            Runs.runToIdle(s);
            assertArrayEquals(Runs.solo(m, good).result().tokens(), h.result().join().tokens());
        }
    }

    @Test
    void maxBatchSizeIsNeverExceeded() {
        try (LoadedModel m = open(DType.F32)) {
            int maxBatch = 3;
            int[] most = new int[2];
            List<SequenceHandle> handles = new ArrayList<>();
            try (Scheduler s = new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(maxBatch, 16, MIB))) {
                s.onStep(st -> {
                    most[0] = Math.max(most[0], st.sequences());
                    most[1] = Math.max(most[1], st.running());
                });
                for (int i = 0; i < 8; i++) {
                    handles.add(s.submit(greedy(prompt(40 + i, 6), null, 5 + i), TokenSink.NONE));
                }
                Runs.runToIdle(s);
                assertEquals(s.totalBlocks(), s.freeBlocks(), "every block is back");
            }
            assertEquals(maxBatch, most[0], "most sequences in one step's batch");
            assertTrue(most[1] <= maxBatch, "most sequences running: " + most[1]);
            handles.forEach(h -> assertTrue(h.result().join().tokens().length > 0));
        }
    }
}
