package io.lorafn.bench;

import io.lorafn.kernels.MemoryAdvice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures this machine's memory read bandwidth the way decode uses it: read-only vector passes over a
 * buffer far larger than the caches, split across the same number of threads. Benchmarks report
 * their speed as a fraction of this figure, measured in the same run.
 *
 * <p>A probe keeps its buffer, faulted in and with its loop compiled, so that a benchmark can read the
 * bandwidth again right beside each timed run: on a shared host it moves with the neighbours' load (one
 * 2-core VM read 34, 41, 64 and 36 GB/s within twenty minutes), and a fraction is only honest against the
 * bandwidth of its own moment.
 */
public final class BandwidthProbe implements AutoCloseable {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    private final Arena arena = Arena.ofShared();
    private final ProbeThreads pool;
    private final MemorySegment buf;
    private final int threads;

    /** A probe over {@code bytes} bytes (at least a few times the last-level cache) read by {@code threads} threads. */
    public BandwidthProbe(long bytes, int threads) {
        if (threads < 1 || bytes < 64L * threads) {
            throw new IllegalArgumentException("a probe needs at least one thread and 64 bytes a thread");
        }
        this.threads = threads;
        this.pool = new ProbeThreads(threads);
        try {
            buf = arena.allocate(bytes, 64);
        } catch (RuntimeException | OutOfMemoryError e) { // the pool's threads and the arena would outlive a failed probe
            close();
            throw e;
        }
        MemoryAdvice.collapseIntoHugePages(buf); // 2 MiB pages, as the image is mapped: one page size on both sides of the fraction
        for (long i = 0; i < bytes; i += 4096) {
            buf.set(ValueLayout.JAVA_BYTE, i, (byte) 1); // fault every page in before timing
        }
        // Compile the loop with C2 before timing: called only a few times, it would otherwise run
        // partly interpreted (seen in JFR) and under-report the machine.
        float warm = 0;
        for (int i = 0; i < 20_000; i++) {
            warm += sum(buf.asSlice(0, 16 * 1024));
        }
        ProbeThreads.keep(warm);
        pass(); // the first pass warms the threads
    }

    /** Median GB/s (1e9 bytes) over {@code passes} read passes of {@code bytes} bytes, on a probe of its own. */
    public static double measure(long bytes, int threads, int passes) {
        try (BandwidthProbe probe = new BandwidthProbe(bytes, threads)) {
            return probe.median(passes);
        }
    }

    /** The median of {@code passes} passes, GB/s. */
    public double median(int passes) {
        return ProbeThreads.median(passes, this::pass);
    }

    /** One read pass over the whole buffer, every thread its slice: GB/s. */
    public double pass() {
        long slice = buf.byteSize() / threads / 64 * 64;
        double seconds = pool.timeEach(t -> {
            MemorySegment part = buf.asSlice(t * slice, slice);
            return () -> sum(part);
        });
        return slice * threads / seconds / 1e9;
    }

    @Override
    public void close() {
        pool.close();
        arena.close();
    }

    private static float sum(MemorySegment seg) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        long n = seg.byteSize();
        for (long i = 0; i < n; i += 128) {
            a0 = a0.add(FloatVector.fromMemorySegment(S, seg, i, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(S, seg, i + 32, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(S, seg, i + 64, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(S, seg, i + 96, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
