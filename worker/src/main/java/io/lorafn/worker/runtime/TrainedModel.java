package io.lorafn.worker.runtime;

import io.lorafn.worker.engine.LoadedModel;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * The model a CRaC training run loaded and warmed before its checkpoint. A process restored from that
 * checkpoint becomes a worker ({@code WorkerMain}), and the worker takes this model instead of
 * mapping the image again: the mapping, the tokenizer and the compiled kernels are all in the checkpoint.
 * Process-wide by nature, as a checkpoint is.
 */
public final class TrainedModel {
    private static LoadedModel held;
    private static Path heldModelDir;
    private static Path heldImage;

    private TrainedModel() {
    }

    /** Keeps {@code model}, loaded from {@code modelDir} and {@code image}, for the worker a restore starts. */
    public static synchronized void hold(LoadedModel model, Path modelDir, Path image) {
        held = model;
        heldModelDir = modelDir.toAbsolutePath().normalize();
        heldImage = image == null ? null : image.toAbsolutePath().normalize();
    }

    /** The held model, once, if it was loaded from the same directory and image; else empty. */
    static synchronized Optional<LoadedModel> take(Path modelDir, Path image) {
        if (held == null || !heldModelDir.equals(modelDir.toAbsolutePath().normalize())
                || !Objects.equals(heldImage, image == null ? null : image.toAbsolutePath().normalize())) {
            return Optional.empty();
        }
        LoadedModel model = held;
        held = null;
        return Optional.of(model);
    }

    /** Whether the model is still held (no worker took it): its owner closes it then. */
    public static synchronized boolean stillHeld() {
        return held != null;
    }
}
