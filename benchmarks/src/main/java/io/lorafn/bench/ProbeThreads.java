package io.lorafn.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.DoubleSupplier;
import java.util.function.IntFunction;

/** The threads a machine probe ({@link BandwidthProbe}, {@link ComputeProbe}) runs its passes on, started once and kept. */
final class ProbeThreads implements AutoCloseable {
    private final ExecutorService pool;
    final int threads;

    ProbeThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("a probe needs at least one thread");
        }
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads);
    }

    /** Runs {@code work.apply(t)} on every thread t at once; the seconds until the last is done. */
    double timeEach(IntFunction<Callable<Float>> work) {
        long start = System.nanoTime();
        List<Future<Float>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            parts.add(pool.submit(work.apply(t)));
        }
        float sink = 0;
        try {
            for (Future<Float> f : parts) {
                sink += f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException("probe failed", e);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        keep(sink);
        return seconds;
    }

    /** The median of {@code passes} readings of {@code pass}. */
    static double median(int passes, DoubleSupplier pass) {
        double[] readings = new double[passes];
        for (int p = 0; p < passes; p++) {
            readings[p] = pass.getAsDouble();
        }
        return Stats.median(readings);
    }

    /** Uses a result, so that the JIT cannot drop the work that made it. */
    static void keep(float sum) {
        if (sum == 42.4242f) {
            System.err.print("");
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
