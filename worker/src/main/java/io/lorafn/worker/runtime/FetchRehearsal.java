package io.lorafn.worker.runtime;

import io.lorafn.storage.registry.AdapterRef;
import io.lorafn.worker.adapters.AdapterCache;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A restored worker's first cold adapters load slowly: the fetch (the S3 client's read path, sha256) and the
 * conversion to compute-ready form run interpreted or half-compiled for the first few adapters (a fresh
 * JVM's fetches of one 45 MB adapter took 298, 155, 189, 106, 80, then about 55 ms). So once the worker has
 * an adapter and no call in flight, it takes that adapter through the cold path a few more times and throws
 * the results away ({@link AdapterCache#rehearse}). A round starts only after half a second without a call
 * in flight, so a call that arrives waits at most for the round in progress. Not done during the restore itself: it would compete with
 * the first call's own load and prefill on a small machine.
 */
final class FetchRehearsal {
    private static final System.Logger LOG = System.getLogger(FetchRehearsal.class.getName());
    /** Rounds after a restore: {@code LORAFN_FETCH_REHEARSALS}, or this system property; 0 turns it off. */
    static final String PROPERTY = "lorafn.worker.fetch-rehearsals";
    private static final long GIVE_UP_MS = 10 * 60_000;
    /** How long the worker must have had no call in flight before a round starts. */
    static final long QUIET_MS = 500;

    private FetchRehearsal() {
    }

    static int configuredRounds() {
        String value = System.getProperty(PROPERTY, System.getenv().getOrDefault("LORAFN_FETCH_REHEARSALS", "4"));
        try {
            return Math.max(0, Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PROPERTY + " must be a number of rounds, not '" + value + "'");
        }
    }

    /** Starts the rehearsals on a daemon thread: {@code rounds} of them, each when the worker is idle. */
    static Thread start(AdapterCache adapters, IntSupplier inFlight, int rounds) {
        return start(() -> adapters.hotAdapters().stream().findFirst(), adapters::rehearse, inFlight, rounds);
    }

    /** The same over any adapter holder: {@code held} names an adapter to rehearse, if any yet. */
    static Thread start(Supplier<Optional<AdapterRef>> held, Consumer<AdapterRef> rehearse, IntSupplier inFlight, int rounds) {
        if (rounds <= 0) {
            return null;
        }
        return Thread.ofPlatform().name("lorafn-fetch-rehearsal").daemon().start(() -> run(held, rehearse, inFlight, rounds));
    }

    private static void run(Supplier<Optional<AdapterRef>> heldAdapter, Consumer<AdapterRef> rehearse, IntSupplier inFlight, int rounds) {
        long start = System.currentTimeMillis();
        long busyAt = start; // a restored worker's first call arrives just after WARM: wait for a quiet spell first
        long[] took = new long[rounds];
        int done = 0;
        try {
            while (done < rounds && System.currentTimeMillis() - start < GIVE_UP_MS) {
                Optional<AdapterRef> held = heldAdapter.get();
                if (inFlight.getAsInt() > 0) {
                    busyAt = System.currentTimeMillis();
                }
                if (held.isEmpty() || System.currentTimeMillis() - busyAt < QUIET_MS) {
                    Thread.sleep(50);
                    continue;
                }
                long t = System.nanoTime();
                rehearse.accept(held.get());
                took[done++] = (System.nanoTime() - t) / 1_000_000;
            }
            LOG.log(System.Logger.Level.INFO, "adapter fetch path rehearsed " + done + " times: "
                    + java.util.Arrays.toString(java.util.Arrays.copyOf(took, done)) + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) { // an erased adapter, the store gone: serving goes on without it
            LOG.log(System.Logger.Level.INFO, "adapter fetch rehearsal stopped after " + done + " rounds: " + AdapterCache.cause(e));
        }
    }
}
