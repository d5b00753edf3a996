package io.lorafn.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed gang of helper threads that run one job's slices together with the caller. A decode step hands
 * out over a hundred products, each a few hundred microseconds long, so waking a parked pool thread for
 * each one costs a measurable share of the step. Helpers therefore spin for a short while after each job
 * before they park (llama.cpp's thread pool does the same).
 *
 * <p>Each slice is claimed by whichever thread reaches it first: the caller, once done with its own slice,
 * takes any helper slice not yet started. On a busy machine a spinning helper is sometimes descheduled for
 * a millisecond or more; without the claim the caller sat idle for all of it (1b Q4_0 decode: about one
 * product in sixty, 1.3 ms a token).
 */
final class KernelThreads implements AutoCloseable {
    /** How long an idle helper spins before parking: longer than the gaps between a step's products. */
    private static final long SPIN_NANOS = 300_000;

    private final Thread[] helpers;
    private final AtomicIntegerArray parked;
    private final AtomicInteger remaining = new AtomicInteger();
    /** Per helper slice: the epoch of the last job whose slice was claimed. */
    private final AtomicLongArray claimed;
    private volatile IntConsumer job;
    private volatile long epoch;
    private volatile Throwable failure;
    private volatile boolean closed;

    KernelThreads(int helperCount) {
        helpers = new Thread[helperCount];
        parked = new AtomicIntegerArray(helperCount);
        claimed = new AtomicLongArray(helperCount);
        for (int i = 0; i < helperCount; i++) {
            int slice = i + 1;
            helpers[i] = new Thread(() -> helperLoop(slice), "lorafn-cpu-kernel-" + slice);
            helpers[i].setDaemon(true);
            helpers[i].start();
        }
    }

    /** Runs {@code work} for slices 0..helpers, slice 0 on the calling thread; returns when all are done. */
    synchronized void run(IntConsumer work) {
        failure = null;
        job = work;
        remaining.set(helpers.length);
        epoch++; // publishes job: helpers read epoch first
        for (int i = 0; i < helpers.length; i++) {
            if (parked.get(i) == 1) {
                LockSupport.unpark(helpers[i]);
            }
        }
        Throwable own = null;
        try {
            work.accept(0);
            for (int i = 0; i < helpers.length; i++) { // slices whose helper has not started yet
                if (claim(i, epoch)) {
                    try {
                        work.accept(i + 1);
                    } finally {
                        remaining.decrementAndGet();
                    }
                }
            }
        } catch (Throwable t) {
            own = t;
        }
        while (remaining.get() != 0) {
            Thread.onSpinWait();
        }
        job = null;
        Throwable helperFailure = failure;
        if (own != null) {
            throwUnchecked(own);
        }
        if (helperFailure != null) {
            throw new IllegalStateException("kernel thread failed", helperFailure);
        }
    }

    private void helperLoop(int slice) {
        int index = slice - 1;
        long seen = 0;
        while (!closed) {
            long current = epoch;
            if (current == seen) {
                waitForJob(index, seen);
                continue;
            }
            seen = current;
            if (!claim(index, current)) {
                continue; // the caller took this slice
            }
            try {
                job.accept(slice); // read after the claim: the caller waits for this job until it is done
            } catch (Throwable t) {
                failure = t;
            } finally {
                remaining.decrementAndGet();
            }
        }
    }

    /** Claims helper slice {@code index} of job {@code jobEpoch}; false when some thread already has it (or a later job's). */
    private boolean claim(int index, long jobEpoch) {
        long last = claimed.get(index);
        return last < jobEpoch && claimed.compareAndSet(index, last, jobEpoch);
    }

    private void waitForJob(int index, long seen) {
        long deadline = System.nanoTime() + SPIN_NANOS;
        while (epoch == seen && !closed) {
            if (System.nanoTime() < deadline) {
                Thread.onSpinWait();
                continue;
            }
            parked.set(index, 1);
            if (epoch == seen && !closed) { // re-check after announcing: run() unparks only announced helpers
                LockSupport.park(this);
            }
            parked.set(index, 0);
            deadline = System.nanoTime() + SPIN_NANOS;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : helpers) {
            LockSupport.unpark(t);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
        throw (T) t;
    }
}
