package io.lorafn.infra.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A worker snapshot, as {@code snapshot.json} in its directory describes it: the resident image the
 * workers map (shared by all of them on a node), and the JDK AOT cache from the training run, or the CRaC
 * checkpoint directory on a JDK that has CRaC.
 *
 * @param aotCache   null when none could be written (a class path with directories, as in tests)
 * @param checkpoint null unless built on a CRaC JDK
 * @param classPath  the class path the cache was trained with, as {@link #classPathStamp()} describes it
 */
public record Snapshot(Path model, Path image, String format, Path aotCache, Path checkpoint, String jdk, String sourceSha256,
                       String createdAt, long trainingMs, String classPath) {
    public static final String FILE = "snapshot.json";
    private static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * This process's class path with each jar's size and modification time. An AOT cache is only valid for
     * the exact classes it was trained on, and a stale one was seen to load old classes after a rebuild
     * (NoSuchMethodError), so it is used only when this matches.
     */
    public static String classPathStamp() {
        StringBuilder stamp = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            try {
                stamp.append(p.toAbsolutePath()).append(':').append(Files.size(p)).append(':').append(Files.getLastModifiedTime(p).toMillis());
            } catch (IOException e) {
                stamp.append(p.toAbsolutePath()).append(":missing");
            }
            stamp.append(';');
        }
        return stamp.toString();
    }

    /** The AOT cache, if it was trained on the classes this process runs; null otherwise. */
    public Path usableAotCache() {
        return aotCache != null && Files.exists(aotCache) && jdk.equals(Runtime.version().toString()) && classPathStamp().equals(classPath)
                ? aotCache : null;
    }

    /**
     * The CRaC checkpoint, if there is one and this JDK can restore it (CRaC support, the same JDK build and
     * classes); null otherwise, and workers start the portable way from the image.
     */
    public Path usableCheckpoint() {
        return checkpoint != null && Files.isDirectory(checkpoint) && io.lorafn.worker.runtime.Crac.supported()
                && jdk.equals(Runtime.version().toString()) && classPathStamp().equals(classPath) ? checkpoint : null;
    }

    public static Snapshot read(Path dir) {
        Path file = dir.resolve(FILE);
        try {
            return JSON.readValue(file.toFile(), Snapshot.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("no readable snapshot in " + dir + " (" + file + "): " + e.getMessage()
                    + "; build one with 'lorafn snapshot build'");
        }
    }

    public void write(Path dir) {
        try {
            Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(this));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
