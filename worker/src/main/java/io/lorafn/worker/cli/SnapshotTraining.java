package io.lorafn.worker.cli;

import io.lorafn.worker.runtime.Crac;
import io.lorafn.worker.runtime.JitWarmup;
import io.lorafn.worker.runtime.TrainedModel;
import io.lorafn.worker.engine.LoadedModel;
import io.lorafn.worker.sched.Scheduler;
import io.lorafn.worker.sched.SchedulerConfig;
import java.nio.file.Path;

/**
 * The training run of a snapshot: the worker's start-up path (model or image mapped, engine, scheduler)
 * and its kernels exercised on dummy work, without Redis or the object store. Under
 * {@code -XX:AOTCacheOutput} the JVM writes the classes it loaded and linked, with their profiles, to an
 * AOT cache at exit; on a CRaC JDK it can checkpoint instead, holding the loaded, warmed model for the
 * worker a restore starts ({@link io.lorafn.worker.runtime.TrainedModel}).
 */
final class SnapshotTraining {
    private SnapshotTraining() {
    }

    static int run(Path model, Path image, int threads, int rounds, boolean checkpoint) throws Exception {
        LoadedModel loaded = LoadedModel.open(model, image, threads);
        try (Scheduler scheduler = new Scheduler(loaded.engine(), loaded.tokenizer(), SchedulerConfig.defaults())) {
            scheduler.start();
            long ms = JitWarmup.trainOnServedModel(loaded, scheduler, model, 16, rounds, new io.lorafn.storage.cli.ConsoleProgressBar());
            System.err.println("snapshot training: " + rounds + " warm-up generations in " + ms + " ms");
        }
        if (!checkpoint) {
            loaded.close();
            return 0;
        }
        if (!Crac.supported()) {
            loaded.close();
            System.err.println("error: this JDK cannot checkpoint (no CRaC support); the portable snapshot needs no --checkpoint");
            return 2;
        }
        // No connection is open here, so there is nothing to close. A restore runs WorkerMain with the
        // worker's own options on this thread, inside checkpoint(); it takes the model and returns when the
        // worker stops.
        TrainedModel.hold(loaded, model, image);
        Crac.checkpoint();
        if (TrainedModel.stillHeld()) { // restored without a worker to hand it to
            loaded.close();
        }
        return 0;
    }
}
