package io.lorafn.kernels.cpu;

import io.lorafn.kernels.Activations;
import io.lorafn.kernels.Backend;
import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The CPU backend. A product is split by output rows over a fixed gang of threads (one per core by
 * default, see {@link KernelThreads}); the caller's thread takes the first slice so a 1-thread backend
 * never hands off. Quantized and BF16 products run in C where this machine can load the library
 * ({@link NativeProducts}), everything else through the Vector API; both sum in the same order.
 */
public final class CpuBackend implements Backend {
    /** Below this many weight bytes a product is not worth a hand-off to the helper threads. */
    private static final long PARALLEL_THRESHOLD_BYTES = 512 * 1024;

    private final int threads;
    private final KernelThreads gang;
    /** Null: the Vector API computes every product. */
    private final NativeProducts products;
    /** What Q8_0 and Q4_0 weights are multiplied with. */
    private final Activations activations;
    /** Per thread: the sequences packed one after another, and the results, for a native batched product. */
    private final ThreadLocal<float[][]> packing = ThreadLocal.withInitial(() -> new float[2][0]);
    /** Per thread: quantized inputs, written over from product to product (a matmulEach of differing inputs uses several). */
    private final ThreadLocal<QuantizedActivations[]> quantizedInputs = ThreadLocal.withInitial(() -> new QuantizedActivations[4]);
    private final LoraProducts lora;
    /** Null without the C products. */
    private final FusedLora fusedLora;

    /** The process's {@link Activations#configured() configured} activations. */
    public CpuBackend(int threads) {
        this(threads, Activations.configured());
    }

    public CpuBackend(int threads, Activations activations) {
        this(threads, NativeProducts.LOADED, activations);
    }

    /** The Java kernels only, whatever this machine could load: tests and benchmarks compare the two. */
    public static CpuBackend vectorOnly(int threads) {
        return vectorOnly(threads, Activations.F32);
    }

    public static CpuBackend vectorOnly(int threads, Activations activations) {
        return new CpuBackend(threads, null, activations);
    }

    private CpuBackend(int threads, NativeProducts products, Activations activations) {
        this.products = products;
        this.activations = activations;
        this.lora = new LoraProducts(products, (w, x, out, batch, from, to) -> matmulRows(w, x, null, out, batch, from, to));
        this.fusedLora = products == null ? null : new FusedLora(products, lora);
        if (activations == Activations.Q8 && !int8InNative()) {
            System.getLogger(CpuBackend.class.getName()).log(System.Logger.Level.WARNING,
                    "8-bit activations without the C products (no C build runs on this CPU, or the library is not loaded): "
                            + "the Java definition computes them, many times slower than f32 activations");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.gang = threads == 1 ? null : new KernelThreads(threads - 1);
    }

    public static CpuBackend withDefaultThreads() {
        return new CpuBackend(Runtime.getRuntime().availableProcessors());
    }

    static RowKernel kernel(WeightFormat format) {
        return switch (format) {
            case F32 -> F32Kernel.INSTANCE;
            case BF16 -> Bf16Kernel.INSTANCE;
            case Q8_0 -> Q8Kernel.INSTANCE;
            case Q4_0 -> Q4Kernel.INSTANCE;
        };
    }

    @Override
    public String name() {
        return "cpu";
    }

    /** Which kernels compute the quantized and BF16 products: a C build ({@code avx512}, {@code avx2}) or the Vector API ({@code vector}). */
    public String kernels() {
        return products != null ? products.build.name().toLowerCase(java.util.Locale.ROOT) : "vector";
    }

    public Activations activations() {
        return activations;
    }

    /**
     * Whether BF16 weights take activations rounded to BF16 here ({@link Bf16Dot}): with 8-bit activations, on a CPU
     * with AVX512_BF16. Elsewhere they keep F32 activations.
     */
    public boolean bf16Activations() {
        return activations == Activations.Q8 && products != null && products.bf16Dot != null;
    }

    /** Whether the 8-bit activation products run in C here (else in Java, far slower). */
    public boolean int8InNative() {
        return products != null && products.hasInt8Products();
    }

    @Override
    public int threads() {
        return threads;
    }

    /**
     * Each thread takes one contiguous slice of the rows. Handing rows out in smaller chunks to whichever
     * thread asks next balanced the threads better but read slower: the 1b Q8_0 products took 46.5 ms a step
     * in four chunks per thread and 42.4 ms in halves (C kernels, 2 threads, alternating runs).
     */
    @Override
    public void matmul(WeightMatrix w, float[][] x, float[][] out, int batch) {
        QuantizedActivations q = quantized(w, x, batch, 0);
        short[] xb = roundedToBf16(w, x, batch);
        if (gang == null || w.byteSize() < PARALLEL_THRESHOLD_BYTES) {
            weightRows(w, x, q, xb, out, batch, 0, w.rows());
            return;
        }
        gang.run(part -> matmulSlice(w, x, q, xb, out, batch, part));
    }

    /** Tasks dealt round-robin to the threads (the caller's takes task 0): attention heads of equal cost. */
    @Override
    public void forEach(int tasks, java.util.function.IntConsumer task) {
        if (gang == null || tasks < 2) {
            Backend.super.forEach(tasks, task);
            return;
        }
        gang.run(part -> {
            for (int i = part; i < tasks; i += threads) {
                task.accept(i);
            }
        });
    }

    /**
     * The activations quantized, once for all threads, where this product takes 8-bit ones; else null. Written into this
     * thread's input {@code slot}: it is read until the product ends and rewritten by a later one.
     */
    private QuantizedActivations quantized(WeightMatrix w, float[][] x, int batch, int slot) {
        if (!activations.quantizes(w.format())) {
            return null;
        }
        QuantizedActivations[] inputs = quantizedInputs.get();
        QuantizedActivations q = QuantizedActivations.of(x, batch, w.cols(), int8InNative() ? products.int8 : null,
                slot < inputs.length ? inputs[slot] : null);
        if (slot < inputs.length) {
            inputs[slot] = q;
        }
        return q;
    }

    /** The activations rounded to BF16, once for all threads, where this product takes them ({@link Bf16Dot}); else null. */
    private short[] roundedToBf16(WeightMatrix w, float[][] x, int batch) {
        return bf16Activations() && Bf16Dot.handles(w) ? Bf16Dot.round(x, batch, w.cols()) : null;
    }

    /** Each thread takes its slice of every matrix in turn: one wait for the slowest thread instead of one per matrix. */
    @Override
    public void matmulEach(List<WeightMatrix> ws, float[][] x, List<float[][]> outs, int batch) {
        if (gang == null) {
            Backend.super.matmulEach(ws, x, outs, batch);
            return;
        }
        QuantizedActivations[] q = quantizedEach(ws, x, batch);
        short[][] xb = new short[ws.size()][];
        for (int i = 0; i < ws.size(); i++) { // the matrices share their input: round it once
            boolean sameShape = i > 0 && ws.get(i - 1).cols() == ws.get(i).cols() && ws.get(i - 1).format() == ws.get(i).format();
            xb[i] = sameShape && xb[i - 1] != null ? xb[i - 1] : roundedToBf16(ws.get(i), x, batch);
        }
        gang.run(part -> {
            for (int i = 0; i < ws.size(); i++) {
                matmulSlice(ws.get(i), x, q[i], xb[i], outs.get(i), batch, part);
            }
        });
    }

    /** Each matrix's input quantized where it takes 8-bit activations (null where not); matrices of one shape share it. */
    private QuantizedActivations[] quantizedEach(List<WeightMatrix> ws, float[][] x, int batch) {
        QuantizedActivations[] q = new QuantizedActivations[ws.size()];
        int slots = 0;
        for (int i = 0; i < ws.size(); i++) {
            boolean same = i > 0 && q[i - 1] != null && ws.get(i - 1).cols() == ws.get(i).cols() && ws.get(i - 1).format() == ws.get(i).format();
            q[i] = same ? q[i - 1] : quantized(ws.get(i), x, batch, slots);
            slots += !same && q[i] != null ? 1 : 0;
        }
        return q;
    }

    /**
     * With the 8-bit C products at batch 2 or more, each chunk of rows gets its adapters' expand right after its base
     * product, with their rows prefetched while that product ran ({@link FusedLora}); else the products, then the adapters.
     */
    @Override
    public void projectEach(List<WeightMatrix> ws, List<List<LoraSegment>> segments, float[][] x, List<float[][]> outs, int batch) {
        if (fusedLora == null || !int8InNative() || !FusedLora.takes(ws, segments, batch, w -> activations.quantizes(w.format()))) {
            Backend.super.projectEach(ws, segments, x, outs, batch);
            return;
        }
        QuantizedActivations[] q = quantizedEach(ws, x, batch);
        int[][][] slices = new int[threads][ws.size()][]; // [part][matrix]: each thread's rows {from, to} (sliceOf)
        for (int part = 0; part < threads; part++) {
            for (int i = 0; i < ws.size(); i++) {
                slices[part][i] = sliceOf(ws.get(i), part);
            }
        }
        FusedLora.Job job = fusedLora.job(ws, q, segments, x, outs, slices);
        FusedLora.ChunkProduct base = (w, qw, out, from, to, side, ranges) ->
                products.int8.multiply(w, qw, out, from, to, scratch(1, batch * (to - from)), side, ranges);
        if (gang == null) {
            job.head(0, base);
            job.rest(0, base);
            return;
        }
        gang.run(part -> job.head(part, base));
        gang.run(part -> job.rest(part, base));
    }

    /** Thread {@code part}'s share of a product: its contiguous slice, or the whole of a small one on the caller's thread. */
    private void matmulSlice(WeightMatrix w, float[][] x, QuantizedActivations q, short[] xb, float[][] out, int batch, int part) {
        int[] rows = sliceOf(w, part);
        if (rows != null) {
            weightRows(w, x, q, xb, out, batch, rows[0], rows[1]);
        }
    }

    /** Rows {from, to} of {@code w} for thread {@code part}, or null for none. */
    private int[] sliceOf(WeightMatrix w, int part) {
        if (gang == null || w.byteSize() < PARALLEL_THRESHOLD_BYTES) {
            return part == 0 ? new int[] {0, w.rows()} : null;
        }
        int group = w.format().rowGroup(); // Q8_0, Q4_0: whole tiles, so no thread reads another's lines
        int slice = ((w.rows() + threads - 1) / threads + group - 1) / group * group;
        int from = part * slice;
        return from < w.rows() ? new int[] {from, Math.min(w.rows(), from + slice)} : null;
    }

    /**
     * A base weight product's rows: BF16 weights with the activations rounded to BF16 ({@code xb}, from
     * {@link #roundedToBf16}) where this backend takes them, else {@link #matmulRows}. Adapter matrices go to matmulRows
     * directly: they keep F32 activations.
     */
    private void weightRows(WeightMatrix w, float[][] x, QuantizedActivations q, short[] xb, float[][] out, int batch, int from, int to) {
        if (xb != null) {
            products.bf16Dot.multiply(w, xb, batch, out, from, to, scratch(1, batch * (to - from)));
            return;
        }
        matmulRows(w, x, q, out, batch, from, to);
    }

    /**
     * Q8_0 and Q4_0: their tiles' products, a row per vector lane (in C where the library is loaded,
     * {@link NativeProducts}, else {@link Tiles}), in their own order ({@link Q4Kernel#dot}). BF16 in C where it is
     * loaded; else, and F32: one sequence (or F32 weights, which need no decoding) through the fused kernel, which
     * decodes in registers, several BF16 sequences through {@link BatchedRows}. Every path of a format sums in the
     * same order, so they give the same bits.
     */
    private void matmulRows(WeightMatrix w, float[][] x, QuantizedActivations q, float[][] out, int batch, int from, int to) {
        if (q != null) {
            if (int8InNative()) {
                products.int8.multiply(w, q, out, from, to, scratch(1, batch * (to - from)));
            } else {
                Int8Products.multiply(w, q, out, from, to);
            }
            return;
        }
        if (products != null && NativeProducts.handles(w, batch)) {
            if (batch == 1) {
                products.matvec(w, x[0], out[0], from, to);
                return;
            }
            float[] packed = products.pack(x, batch, w.cols(), scratch(0, batch * w.cols()));
            if (products.matmul(w, packed, batch, out, from, to, scratch(1, batch * (to - from)))) {
                return;
            }
        }
        if (w.format().tiled()) { // a row per vector lane, in Q8Kernel's and Q4Kernel's dot's order
            Tiles.multiply(w, x, out, batch, from, to);
            return;
        }
        RowKernel k = kernel(w.format());
        if (batch > 1 && w.format() != WeightFormat.F32) {
            new BatchedRows(k, w).multiply(x, out, batch, from, to);
            return;
        }
        int n = w.cols();
        for (int r = from; r < to; r++) {
            long offset = w.rowOffset(r);
            for (int b = 0; b < batch; b++) {
                out[b][r] = k.dot(w.data(), offset, x[b], n);
            }
        }
    }

    /** This thread's scratch array {@code slot} (0: packed sequences, 1: results), grown to at least {@code floats}. */
    private float[] scratch(int slot, int floats) {
        float[][] p = packing.get();
        if (p[slot].length < floats) {
            p[slot] = new float[floats];
        }
        return p[slot];
    }

    /**
     * Segments are dealt round-robin to the threads; each runs its segments' shrink and expand on one
     * thread. The first version ran each segment's small products one after another on the caller while
     * the other cores idled: batch 8 on 8 distinct adapters spent a fifth of its step there.
     */
    @Override
    public void addLora(List<LoraSegment> segments, float[][] x, float[][] y) {
        addLoraEach(List.of(segments), x, List.<float[][]>of(y));
    }

    /** Every output's segments dealt to the threads together (segments of one output touch disjoint rows). */
    @Override
    public void addLoraEach(List<List<LoraSegment>> segments, float[][] x, List<float[][]> ys) {
        List<LoraSegment> all = new java.util.ArrayList<>();
        List<float[][]> into = new java.util.ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            for (LoraSegment s : segments.get(i)) {
                all.add(s);
                into.add(ys.get(i));
            }
        }
        if (gang == null || all.size() < 2) {
            for (int i = 0; i < all.size(); i++) {
                lora.apply(all.get(i), x, into.get(i));
            }
            return;
        }
        gang.run(part -> {
            for (int i = part; i < all.size(); i += threads) {
                lora.apply(all.get(i), x, into.get(i));
            }
        });
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] out) {
        decodeRow(w, row, out);
    }

    /** Encodes one row into any format (image building). */
    public static void encodeRow(WeightFormat format, float[] row, MemorySegment dst, long offset) {
        kernel(format).quantize(row, dst, offset, row.length);
    }

    /** Decodes one row of any format; for code outside the hot path that needs plain floats. */
    public static void decodeRow(WeightMatrix w, int row, float[] out) {
        kernel(w.format()).dequantize(w.data(), w.rowOffset(row), out, w.cols());
    }

    @Override
    public void close() {
        if (gang != null) {
            gang.close();
        }
    }
}
