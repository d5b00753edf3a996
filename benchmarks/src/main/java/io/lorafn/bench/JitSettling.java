package io.lorafn.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * A warm-up that lasts until the JIT has settled, as JMH's warm-up iterations do: a benchmark's warm-up round is repeated
 * until {@link #QUIET_ROUNDS} rounds in a row in which the JIT compiled for at most {@link #QUIET_SHARE} of the round's time.
 *
 * <p>Why: on two cores a compiler thread takes a core from the products while it runs. A single warm-up run of eight
 * decode steps left C2 compiling through the next seconds, and the timed runs that overlapped it lost up to a third of
 * their tokens/s (1b Q4_0, 8-bit, batch 1: timed runs of 42, 46, 35, 52, 53 tok/s one after another, the JIT busy through
 * the first three; RESULTS.md, fifteenth session). Rounds of eight steps settled there after about fifteen; a single quiet
 * round is not enough, as C2 still recompiled a method now and then.
 */
public final class JitSettling {
    /** A round settles the JIT when it compiled for at most this share of the round's wall time. */
    public static final double QUIET_SHARE = 0.01;
    /** Quiet rounds in a row that end a warm-up. */
    public static final int QUIET_ROUNDS = 3;

    /** Where the JVM cannot say how long it compiles, a fixed number of rounds instead. */
    private static final int ROUNDS_WITHOUT_MONITORING = 3;

    private JitSettling() {
    }

    /**
     * Runs {@code round} at least once, and until the JIT was quiet for {@link #QUIET_ROUNDS} rounds in a row or
     * {@code maxNanos} have passed; returns how it went.
     */
    public static Settled warmUp(Runnable round, long maxNanos) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean measured = jit != null && jit.isCompilationTimeMonitoringSupported();
        long deadline = System.nanoTime() + maxNanos;
        int rounds = 0, quietInARow = 0;
        double share = Double.NaN;
        while (true) {
            long compiledBefore = measured ? jit.getTotalCompilationTime() : 0, start = System.nanoTime();
            round.run();
            long wall = System.nanoTime() - start;
            rounds++;
            if (measured) {
                share = (jit.getTotalCompilationTime() - compiledBefore) * 1e6 / Math.max(1, wall);
            }
            quietInARow = !measured || share <= QUIET_SHARE ? quietInARow + 1 : 0;
            boolean quiet = quietInARow >= (measured ? QUIET_ROUNDS : ROUNDS_WITHOUT_MONITORING);
            if (quiet || System.nanoTime() >= deadline) {
                return new Settled(rounds, share, quiet);
            }
        }
    }

    /**
     * A warm-up's rounds, the share of the last round's time the JIT compiled (NaN where the JVM does not say), and whether
     * it ended settled or ran out of time first.
     */
    public record Settled(int rounds, double lastCompileShare, boolean settled) {
        /** A line for the console where the warm-up ran out of time while the JIT was still compiling; else null. */
        public String warning(String what) {
            if (settled || !(lastCompileShare > QUIET_SHARE)) {
                return null;
            }
            return String.format(Locale.ROOT, "warm-up of %s: the JIT still compiled for %.0f%% of the last of %d rounds; the timed runs "
                    + "may share the cores with it (a longer --warm-up lets it finish)", what, 100 * lastCompileShare, rounds);
        }
    }
}
