package io.lorafn.worker.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.WorkerException;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchedulerConfigTest {
    @TempDir
    static Path root;

    @Test
    void configsThatCannotScheduleAreRefused() {
        assertEquals(SchedulerConfig.DEFAULT_BLOCK_POSITIONS, SchedulerConfig.defaults().blockPositions());
        assertEquals(16, new SchedulerConfig(4, 64, 1 << 20).blockPositions());
        for (Runnable bad : new Runnable[] {
                () -> new SchedulerConfig(0, 64, 1 << 20),
                () -> new SchedulerConfig(8, 4, 1 << 20),
                () -> new SchedulerConfig(4, 64, 0),
                () -> new SchedulerConfig(4, 64, 1 << 20, 0)}) {
            assertEquals("BAD_SCHEDULER_CONFIG", assertThrows(WorkerException.class, bad::run).code());
        }
    }

    @Test
    void budgetSmallerThanOneBlockIsRefused() {
        Path model = TestModels.model(root, "cfg", TestModels.tiny(), DType.F32, 81);
        try (LoadedModel m = LoadedModel.open(model, 1)) {
            WorkerException e = assertThrows(WorkerException.class,
                    () -> new Scheduler(m.engine(), m.tokenizer(), new SchedulerConfig(4, 64, 1024)));
            assertEquals("BAD_SCHEDULER_CONFIG", e.code());
        }
    }
}
