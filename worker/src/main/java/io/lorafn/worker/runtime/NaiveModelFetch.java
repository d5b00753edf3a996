package io.lorafn.worker.runtime;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.Progress;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.storage.s3.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The cold start of a serverless system with no snapshot and no shared backbone: the worker downloads the
 * Hugging Face files from the object store and converts them itself. Kept as the baseline that the
 * cold-start benchmark compares restores with.
 */
final class NaiveModelFetch {
    private NaiveModelFetch() {
    }

    /** Downloads every object under {@code prefix} into {@code dir}, writes the image in {@code format}, returns its path. */
    static Path fetchAndConvert(ObjectStore store, String prefix, Path dir, String format) {
        try {
            Files.createDirectories(dir);
            String base = prefix.endsWith("/") ? prefix : prefix + "/";
            for (String key : store.list(base)) {
                store.getFile(key, dir.resolve(key.substring(base.length())));
            }
            WeightFormat weights = WeightFormat.valueOf(format.toUpperCase(Locale.ROOT));
            Path image = dir.resolve("model-" + format.toLowerCase(Locale.ROOT) + ".img");
            try (ModelDirectory model = ModelDirectory.open(dir)) {
                ResidentImageWriter.write(model, weights, image, Progress.NONE);
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
