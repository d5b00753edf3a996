package io.lorafn.worker.runtime;

/**
 * Coordinated Restore at Checkpoint, through the {@code org.crac} API: on a JDK that has CRaC (a
 * {@code jdk.crac} or {@code javax.crac} implementation) a checkpoint is taken; on any other JDK the
 * API's dummy implementation refuses it, so the portable snapshot is used instead (FACTS.md: no CRaC JDK
 * can be obtained on these machines, so this path is written against the API and not run here).
 */
public final class Crac {
    private Crac() {
    }

    /** Whether this JDK can checkpoint: detected at run time, as org.crac itself does. */
    public static boolean supported() {
        if (ModuleLayer.boot().findModule("jdk.crac").isPresent()) {
            return true;
        }
        try {
            Class.forName("javax.crac.Core");
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Checkpoints this process (run it with {@code -XX:CRaCCheckpointTo=DIR}); returns in the restored one. */
    public static void checkpoint() throws Exception {
        org.crac.Core.checkpointRestore();
    }
}
