package io.lorafn.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's F32 multiply-add throughput the way exact prefill uses it: independent vector
 * multiply-adds at the widest width the CPU computes natively, on the same number of threads. Prefill is bound by
 * arithmetic (every prompt token multiplies every weight), so {@code bench prefill} reports its speed as a fraction of
 * this figure, measured in the same run, as {@code bench decode} does against the bandwidth.
 *
 * <p>Twelve accumulators a thread: more than multiply-add latency × ports on the CPUs this project has met (four
 * cycles × two 256-bit ports on Zen 4, the same or fewer in flight elsewhere), so the figure is the ports' rate.
 */
public final class ComputeProbe implements AutoCloseable {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Steps of each chain a pass: about 5 ms at one multiply-add vector a cycle. */
    private static final long ROUNDS = 1_600_000;
    private static final int CHAINS = 12;

    private final ProbeThreads pool;

    public ComputeProbe(int threads) {
        this.pool = new ProbeThreads(threads);
        ProbeThreads.keep(chains(200_000)); // compiled by C2 before any timing
        pass();
    }

    /** The median of {@code passes} passes, G multiply-adds per second (all threads). */
    public double median(int passes) {
        return ProbeThreads.median(passes, this::pass);
    }

    /** One pass: every thread runs its chains; G multiply-adds per second. */
    public double pass() {
        double seconds = pool.timeEach(t -> () -> chains(ROUNDS));
        return (double) pool.threads * ROUNDS * CHAINS * S.length() / seconds / 1e9;
    }

    @Override
    public void close() {
        pool.close();
    }

    /** {@link #CHAINS} independent multiply-add chains, {@code rounds} steps each (a = a·m + c settles at 0.1: no subnormals). */
    private static float chains(long rounds) {
        FloatVector m = FloatVector.broadcast(S, 0.999999f), c = FloatVector.broadcast(S, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < rounds; i++) {
            a0 = a0.fma(m, c); a1 = a1.fma(m, c); a2 = a2.fma(m, c); a3 = a3.fma(m, c);
            a4 = a4.fma(m, c); a5 = a5.fma(m, c); a6 = a6.fma(m, c); a7 = a7.fma(m, c);
            a8 = a8.fma(m, c); a9 = a9.fma(m, c); a10 = a10.fma(m, c); a11 = a11.fma(m, c);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11).lane(0);
    }
}
