package io.lorafn.worker.sched;

import static io.lorafn.worker.sched.Runs.greedy;
import static io.lorafn.worker.sched.Runs.prompt;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.GenerationRequest;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.TestModels;
import io.lorafn.worker.engine.TokenSink;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler on its own engine thread: many submitters, no hanging futures, no spinning when idle. */
class BackgroundSchedulerTest {
    @TempDir
    static Path root;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = TestModels.model(root, "bg", TestModels.tiny(), DType.BF16, 71);
    }

    private static SchedulerConfig config() {
        return new SchedulerConfig(4, 32, 1 << 20);
    }

    @Test
    void submissionsFromSeveralThreadsAllCompleteWithTheirSoloResults() throws Exception {
        int threads = 4, perThread = 3;
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < threads * perThread; i++) {
            requests.add(greedy(prompt(100 + i, 3 + i), null, 6 + i));
        }
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            List<Future<List<SequenceHandle>>> submitted = new ArrayList<>();
            try (Scheduler s = new Scheduler(m.engine(), m.tokenizer(), config());
                 ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                s.start();
                CountDownLatch go = new CountDownLatch(1);
                for (int t = 0; t < threads; t++) {
                    List<GenerationRequest> mine = requests.subList(t * perThread, (t + 1) * perThread);
                    submitted.add(pool.submit(() -> {
                        go.await();
                        List<SequenceHandle> handles = new ArrayList<>();
                        for (GenerationRequest req : mine) {
                            handles.add(s.submit(req, TokenSink.NONE));
                        }
                        return handles;
                    }));
                }
                go.countDown();
                for (int t = 0; t < threads; t++) {
                    List<SequenceHandle> handles = submitted.get(t).get(30, TimeUnit.SECONDS);
                    for (int i = 0; i < perThread; i++) {
                        GenerationRequest req = requests.get(t * perThread + i);
                        assertArrayEquals(Runs.solo(m, req).result().tokens(),
                                handles.get(i).result().get(30, TimeUnit.SECONDS).tokens(), "thread " + t + ", request " + i);
                    }
                }
                assertTrue(s.steps() > 0);
            }
        }
    }

    @Test
    void closeCompletesUnfinishedSequencesExceptionallyAndRefusesNewOnes() throws Exception {
        try (LoadedModel m = LoadedModel.open(model, 2)) {
            Scheduler s = new Scheduler(m.engine(), m.tokenizer(), config());
            s.start();
            CountDownLatch firstToken = new CountDownLatch(1);
            TokenSink slowClient = (id, text) -> {
                firstToken.countDown();
                sleep(1); // hundreds of tokens take far longer than the test needs to call close()
            };
            List<SequenceHandle> handles = new ArrayList<>();
            for (int i = 0; i < 6; i++) { // more than maxBatchSize: some are still waiting when close() comes
                handles.add(s.submit(greedy(prompt(200 + i, 4), null, 400), slowClient));
            }
            assertTrue(firstToken.await(30, TimeUnit.SECONDS));
            s.close();
            for (SequenceHandle h : handles) {
                assertTrue(h.result().isDone(), "close() left no future hanging");
                CompletionException e = assertThrows(CompletionException.class, () -> h.result().join());
                WorkerException cause = assertInstanceOf(WorkerException.class, e.getCause());
                assertEquals("SCHEDULER_CLOSED", cause.code());
                assertTrue(cause.getMessage().contains("sequence " + h.id()), cause.getMessage());
            }
            assertEquals(s.totalBlocks(), s.freeBlocks(), "every block is back");
            WorkerException refused = assertThrows(WorkerException.class, () -> s.submit(greedy(prompt(1, 4), null, 4),
                    TokenSink.NONE));
            assertEquals("SCHEDULER_CLOSED", refused.code());
        }
    }

    @Test
    void idleEngineThreadParksInsteadOfSpinning() throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        try (LoadedModel m = LoadedModel.open(model, 2); Scheduler s = new Scheduler(m.engine(), m.tokenizer(), config())) {
            s.start();
            s.submit(greedy(prompt(1, 4), null, 8), TokenSink.NONE).result().get(30, TimeUnit.SECONDS);
            Thread engine = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("lorafn-scheduler") && t.isAlive()).findFirst().orElseThrow();
            long steps = s.steps();
            long cpuBefore = mx.getThreadCpuTime(engine.threadId());
            Thread.sleep(300);
            long cpuNanos = mx.getThreadCpuTime(engine.threadId()) - cpuBefore;
            assertEquals(Thread.State.WAITING, engine.getState(), "parked");
            assertTrue(cpuNanos < 30_000_000, "the idle engine thread used " + cpuNanos / 1e6 + " ms of CPU in 300 ms");
            assertEquals(steps, s.steps());
            s.submit(greedy(prompt(2, 4), null, 8), TokenSink.NONE).result().get(30, TimeUnit.SECONDS);
            assertTrue(s.steps() > steps, "a submission wakes it");
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
