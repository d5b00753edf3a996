package io.lorafn.kernels.cpu;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A layer's projections and their adapters with the adapters' reads hidden under the base products
 * ({@link CpuBackend#projectEach}), where those products are the 8-bit ones in C at batch 2 or more.
 *
 * <p>Why: at batch 8 the 8-bit products are bound by arithmetic and read about half the bandwidth the host lends, while
 * the adapters' shrink and expand, run after them, are bound by their misses (1b, 8 distinct rank-16 BF16 adapters:
 * 28-33 GB/s, about a sixth of the step). The C products can prefetch other lines into L2 as they go, a few each block
 * (lorafn_tiles.h, side_prefetch), so each thread takes its rows of the products in chunks, in two hand-offs:
 * <ol>
 *   <li>{@link Job#head}: its first chunk's base product, prefetching the A of the segments it shrinks and the chunk's
 *       rows of B; then those shrinks, from cache.</li>
 *   <li>{@link Job#rest}, once every shrink is done: the first chunk's expand, then each further chunk's base product,
 *       prefetching its own rows of B, then its expand into outputs still in cache.</li>
 * </ol>
 *
 * <p>The bits are those of {@link CpuBackend#matmulEach} then {@link CpuBackend#addLoraEach}: a row's base product does
 * not depend on which rows are computed with it, the shrink is the same call, and each output's expand is the same
 * multiply-adds in the same order whichever window of outputs it runs in ({@code lora_expand_add}).
 */
final class FusedLora {
    /**
     * Rows of a base product between two expands: a multiple of the 16-row tiles. A chunk's rows of B, at 8 rank-16
     * BF16 adapters, are 256 KB, a quarter of a Zen 4 core's L2. 1b's projections over 16 layers, none against 8
     * distinct adapters in turns (three runs each): 256 rows 0.79-0.83 of the time without adapters, 512 0.82-0.84,
     * 1024 0.82-0.85, 2048 0.83-0.87, 4096 0.82-0.85.
     */
    static final int CHUNK_ROWS = 1024;

    /** The base product of rows [from, to), prefetching {@code ranges} (address, bytes) pairs at {@code side} meanwhile. */
    interface ChunkProduct {
        void multiply(WeightMatrix w, QuantizedActivations q, float[][] out, int from, int to, MemorySegment side, int ranges);
    }

    private final NativeProducts products;
    private final LoraProducts lora;
    /** Per thread: (address, bytes) pairs for the C product to prefetch, native so that C reads them. */
    private final ThreadLocal<MemorySegment> prefetchList = ThreadLocal.withInitial(() -> MemorySegment.NULL);

    FusedLora(NativeProducts products, LoraProducts lora) {
        this.products = products;
        this.lora = lora;
    }

    /**
     * Whether there are adapters, every product here takes 8-bit activations ({@code int8}: the caller's backend runs
     * those in C) at batch 2 or more, and every adapter's A and B runs in C.
     */
    static boolean takes(List<WeightMatrix> ws, List<List<LoraSegment>> lora, int batch, java.util.function.Predicate<WeightMatrix> int8) {
        if (batch < 2 || lora.size() != ws.size()) {
            return false;
        }
        boolean any = false;
        for (int i = 0; i < ws.size(); i++) {
            if (!int8.test(ws.get(i))) {
                return false;
            }
            for (LoraSegment s : lora.get(i)) {
                if (!NativeProducts.shrinksLora(s.a()) || !NativeProducts.expandsLora(s.bTransposed())) {
                    return false;
                }
                any = true;
            }
        }
        return any;
    }

    /**
     * One call's work, shared by its threads: {@code outs.get(i) = ws.get(i)·x}, then lora.get(i)'s segments added in.
     * {@code slices[part][i]} is thread part's rows {from, to} of matrix i (null: none); there is a part a thread.
     */
    Job job(List<WeightMatrix> ws, QuantizedActivations[] q, List<List<LoraSegment>> segments, float[][] x, List<float[][]> outs,
            int[][][] slices) {
        return new Job(ws, q, segments, x, outs, slices);
    }

    final class Job {
        private final List<WeightMatrix> ws;
        private final QuantizedActivations[] q;
        private final List<List<LoraSegment>> segments;
        private final float[][] x;
        private final List<float[][]> outs;
        private final int threads;
        /** {@code [part][chunk]}: (matrix, from, to) of each chunk of each thread's rows, in order. */
        private final int[][][] chunks;
        /** {@code [matrix][segment][row][rank]}: each segment's shrink, for each of its rows. */
        private final float[][][][] shrunk;
        /** (matrix, segment) of every segment, dealt round-robin to the threads for their shrinks. */
        private final int[][] shrinks;

        private Job(List<WeightMatrix> ws, QuantizedActivations[] q, List<List<LoraSegment>> segments, float[][] x, List<float[][]> outs,
                    int[][][] slices) {
            this.ws = ws;
            this.q = q;
            this.segments = segments;
            this.x = x;
            this.outs = outs;
            this.threads = slices.length;
            this.chunks = new int[threads][][];
            for (int part = 0; part < threads; part++) {
                chunks[part] = chunks(slices[part]);
            }
            this.shrunk = new float[segments.size()][][][];
            int count = 0;
            for (int i = 0; i < segments.size(); i++) {
                shrunk[i] = new float[segments.get(i).size()][][];
                count += segments.get(i).size();
            }
            this.shrinks = new int[count][];
            int k = 0;
            for (int i = 0; i < segments.size(); i++) {
                for (int j = 0; j < segments.get(i).size(); j++) {
                    shrinks[k++] = new int[] {i, j};
                }
            }
        }

        /**
         * The first hand-off, for thread {@code part}: its first chunk's base product, bringing its shrinks' A and the chunk's
         * B rows into L2, then its shrinks.
         */
        void head(int part, ChunkProduct base) {
            if (chunks[part].length > 0) {
                int[] first = chunks[part][0];
                PrefetchList list = new PrefetchList();
                for (int k = part; k < shrinks.length; k += threads) {
                    list.add(segment(shrinks[k]).a());
                }
                list.addWindows(segments.get(first[0]), first[1], first[2]);
                multiply(first, list, base);
            }
            for (int k = part; k < shrinks.length; k += threads) {
                shrunk[shrinks[k][0]][shrinks[k][1]] = lora.shrink(segment(shrinks[k]), x);
            }
        }

        /** The second hand-off, once every shrink is done: the first chunk's expand, then each further chunk and its expand. */
        void rest(int part, ChunkProduct base) {
            for (int c = 0; c < chunks[part].length; c++) {
                int[] chunk = chunks[part][c];
                if (c > 0) {
                    PrefetchList list = new PrefetchList();
                    list.addWindows(segments.get(chunk[0]), chunk[1], chunk[2]);
                    multiply(chunk, list, base);
                }
                expand(chunk);
            }
        }

        private LoraSegment segment(int[] at) {
            return segments.get(at[0]).get(at[1]);
        }

        private void multiply(int[] chunk, PrefetchList list, ChunkProduct base) {
            int i = chunk[0];
            base.multiply(ws.get(i), q[i], outs.get(i), chunk[1], chunk[2], list.ranges == 0 ? MemorySegment.NULL : list.list, list.ranges);
        }

        /** Outputs [from, to) of every segment's rows: y += scale · Bᵀ·u. */
        private void expand(int[] chunk) {
            List<LoraSegment> of = segments.get(chunk[0]);
            float[][] y = outs.get(chunk[0]);
            for (int j = 0; j < of.size(); j++) {
                LoraSegment s = of.get(j);
                int[] rows = s.rows();
                for (int r = 0; r < rows.length; r++) {
                    products.loraExpandAdd(s.bTransposed(), shrunk[chunk[0]][j][r], s.scale(), y[rows[r]], chunk[1], chunk[2]);
                }
            }
        }
    }

    /** (matrix, from, to) for each chunk of the slices, in order. */
    private static int[][] chunks(int[][] slices) {
        int count = 0;
        for (int[] s : slices) {
            count += s == null ? 0 : (s[1] - s[0] + CHUNK_ROWS - 1) / CHUNK_ROWS;
        }
        int[][] chunks = new int[count][];
        int c = 0;
        for (int i = 0; i < slices.length; i++) {
            if (slices[i] == null) {
                continue;
            }
            for (int from = slices[i][0]; from < slices[i][1]; from += CHUNK_ROWS) {
                chunks[c++] = new int[] {i, from, Math.min(slices[i][1], from + CHUNK_ROWS)};
            }
        }
        return chunks;
    }

    /**
     * (address, bytes) pairs in this thread's native list. Matrices held on the heap (tests' adapters) have no stable
     * address and are left out: they are read as they are, not prefetched.
     */
    private final class PrefetchList {
        MemorySegment list = prefetchList.get();
        int ranges;

        /** All of {@code m}. */
        void add(WeightMatrix m) {
            if (m.data().isNative()) {
                put(m.data().address(), m.byteSize());
            }
        }

        /** Each segment's rank rows of B over outputs [from, to). */
        void addWindows(List<LoraSegment> segments, int from, int to) {
            for (LoraSegment s : segments) {
                WeightMatrix t = s.bTransposed();
                if (!t.data().isNative()) {
                    continue;
                }
                long elementBytes = t.format().bytesPerBlock(); // F32 or BF16: blocks of one
                for (int k = 0; k < t.rows(); k++) {
                    put(t.data().address() + t.rowOffset(k) + from * elementBytes, (to - from) * elementBytes);
                }
            }
        }

        private void put(long address, long bytes) {
            if (list.byteSize() < 16L * (ranges + 1)) {
                MemorySegment larger = Arena.ofAuto().allocate(Math.max(4096, 2 * list.byteSize()), 8);
                larger.copyFrom(list);
                list = larger;
                prefetchList.set(larger);
            }
            list.setAtIndex(ValueLayout.JAVA_LONG, 2L * ranges, address);
            list.setAtIndex(ValueLayout.JAVA_LONG, 2L * ranges + 1, bytes);
            ranges++;
        }
    }
}
