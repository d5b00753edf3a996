package io.lorafn.infra.snapshot;

import io.lorafn.infra.stack.WorkerLaunch;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.storage.cli.ConsoleProgressBar;
import io.lorafn.storage.cli.ImageCommand;
import io.lorafn.storage.hf.ModelDirectory;
import io.lorafn.storage.image.ResidentImage;
import io.lorafn.storage.image.ResidentImageWriter;
import io.lorafn.worker.runtime.Crac;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lorafn snapshot build}: what a worker restores from instead of starting cold. */
@Command(name = "snapshot", mixinStandardHelpOptions = true, subcommands = SnapshotCommand.Build.class,
        description = "Builds the snapshot workers are restored from (see 'snapshot build --help').")
public final class SnapshotCommand {
    @Command(name = "build", mixinStandardHelpOptions = true, description = {
            "Writes a worker snapshot into --out: the resident weight image (mapped and shared by every worker on the node), then a",
            "training run of a worker (model mapped, kernels warmed on dummy work) that leaves a JDK AOT cache (-XX:AOTCacheOutput),",
            "or, on a JDK with CRaC, a checkpoint (--crac). 'lorafn up --snapshot DIR' restores its workers from it."})
    static final class Build implements Callable<Integer> {
        @Option(names = "--model", required = true, description = "Hugging Face model directory.")
        Path model;

        @Option(names = "--format", defaultValue = "q8_0", description = "Weight format of the image: q8_0, q4_0, bf16 or f32 (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(names = "--out", required = true, description = "Snapshot directory (created).")
        Path out;

        @Option(names = "--threads", defaultValue = "0", description = "Kernel threads of the training run; 0 = one per core (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--crac", description = "Checkpoint with CRaC instead of writing an AOT cache (needs a CRaC JDK).")
        boolean crac;

        @Override
        public Integer call() throws Exception {
            Snapshot snapshot = build(model, ImageCommand.parse(format), out, threads, crac);
            System.out.println("snapshot in " + out + ": image " + Files.size(snapshot.image()) / (1 << 20) + " MiB"
                    + (snapshot.aotCache() != null ? ", AOT cache " + Files.size(snapshot.aotCache()) / (1 << 20) + " MiB" : ", no AOT cache")
                    + ", training run " + snapshot.trainingMs() + " ms");
            return 0;
        }
    }

    /** Builds a snapshot of {@code model} into {@code out}: the image, then the training run (AOT cache or CRaC checkpoint). */
    public static Snapshot build(Path model, WeightFormat weights, Path out, int threads, boolean crac) throws Exception {
        if (crac && !Crac.supported()) {
            throw new IllegalArgumentException("this JDK (" + Runtime.version() + ") has no CRaC support; run on a CRaC JDK "
                    + "(for example Azul Zulu with CRaC) or build the portable snapshot without --crac");
        }
        Files.createDirectories(out);
        Path image = out.resolve("model-" + weights.name().toLowerCase(Locale.ROOT) + ".img").toAbsolutePath();
        try (ModelDirectory dir = ModelDirectory.open(model)) {
            ResidentImageWriter.write(dir, weights, image, new ConsoleProgressBar());
        }
        String sourceSha;
        try (ResidentImage img = ResidentImage.open(image)) {
            sourceSha = img.sourceSha256();
        }
        Path aot = out.resolve("worker.aot").toAbsolutePath();
        Path checkpoint = out.resolve("checkpoint").toAbsolutePath();
        List<String> jvm = new ArrayList<>();
        if (crac) {
            jvm.add("-XX:CRaCCheckpointTo=" + checkpoint);
        } else if (WorkerLaunch.classPathIsJars()) {
            Files.deleteIfExists(aot);
            jvm.addAll(List.of("-XX:AOTCacheOutput=" + aot, "-Xlog:aot=error", "-Xlog:cds=error")); // old picocli classes are skipped, say less
        }
        List<String> args = new ArrayList<>(List.of("--train-snapshot", "--id", "snapshot-training", "--model", model.toAbsolutePath().toString(), "--image",
                image.toString(), "--threads", Integer.toString(threads)));
        if (crac) {
            args.add("--checkpoint");
        }
        System.err.println("snapshot: training run of a worker" + (crac ? " (CRaC checkpoint)" : jvm.isEmpty()
                ? " (no AOT cache: the class path has directories; run from the lorafn jar)" : " (writing the JDK AOT cache)"));
        long start = System.nanoTime();
        // everything the training JVM says (the JDK prints its AOT progress on stdout) goes to stderr: stdout is for results
        Process training = new ProcessBuilder(WorkerLaunch.command(2048, jvm, args)).redirectErrorStream(true).start();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                training.getInputStream().transferTo(System.err);
            } catch (java.io.IOException e) {
                // the process ended
            }
        });
        if (!training.waitFor(30, TimeUnit.MINUTES) || training.exitValue() != 0) {
            training.destroyForcibly();
            throw new IllegalStateException("the snapshot's training run failed (exit " + (training.isAlive() ? "timeout" : training.exitValue()) + ")");
        }
        long trainingMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Snapshot snapshot = new Snapshot(model.toAbsolutePath(), image, weights.name().toLowerCase(Locale.ROOT),
                !crac && Files.exists(aot) ? aot : null, crac ? checkpoint : null, Runtime.version().toString(), sourceSha,
                Instant.now().toString(), trainingMs, Snapshot.classPathStamp());
        snapshot.write(out);
        return snapshot;
    }
}
