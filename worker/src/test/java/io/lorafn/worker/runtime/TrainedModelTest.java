package io.lorafn.worker.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.storage.safetensors.DType;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.engine.TestModels;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-over from a CRaC training run to the worker its restore starts: once, and only for the same model. */
class TrainedModelTest {
    @TempDir
    Path root;

    @Test
    void theWorkerOfTheSameModelTakesTheHeldModelOnceAndAnotherModelLoadsItsOwn() {
        Path dir = TestModels.model(root, "m", TestModels.tiny(), DType.F32, 1);
        try (LoadedModel loaded = LoadedModel.open(dir, 1)) {
            TrainedModel.hold(loaded, dir, null);
            assertTrue(TrainedModel.take(root.resolve("other"), null).isEmpty(), "another model directory");
            assertTrue(TrainedModel.take(dir, root.resolve("some.img")).isEmpty(), "the same directory but an image");
            assertTrue(TrainedModel.stillHeld());
            assertSame(loaded, TrainedModel.take(dir.resolve("../m"), null).orElseThrow(), "the same paths, spelled differently");
            assertFalse(TrainedModel.stillHeld());
            assertTrue(TrainedModel.take(dir, null).isEmpty(), "handed over once");
        }
    }
}
