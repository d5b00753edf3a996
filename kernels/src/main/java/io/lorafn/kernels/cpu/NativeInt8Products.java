package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The 8-bit activation products in C ({@code src/main/c/lorafn_int8_products.c}, AVX-512 VNNI), from
 * the library {@link NativeProducts} loaded, on CPUs that have those instructions. They compute the bits
 * {@link Int8Products} defines. Calls are critical downcalls with heap access, as the exact products' are.
 */
final class NativeInt8Products {
    private final MethodHandle q8Matvec, q4Matvec, q8Matmul, q4Matmul, quantize;

    NativeInt8Products(SymbolLookup symbols) {
        Linker linker = Linker.nativeLinker();
        Linker.Option heapAccess = Linker.Option.critical(true);
        FunctionDescriptor matvec = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        FunctionDescriptor matmul = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        // Q4_0 tiles: (tiles, tile bytes, first row, rows, values, block starts, lane scales, n[, batch], out[, stride])
        FunctionDescriptor tileMatvec = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        FunctionDescriptor tileMatmul = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        q8Matvec = linker.downcallHandle(symbols.findOrThrow("lf_q8_0_matvec_int8"), matvec, heapAccess);
        q4Matvec = linker.downcallHandle(symbols.findOrThrow("lf_q4_0_matvec_int8"), tileMatvec, heapAccess);
        q8Matmul = linker.downcallHandle(symbols.findOrThrow("lf_q8_0_matmul_int8"), matmul, heapAccess);
        q4Matmul = linker.downcallHandle(symbols.findOrThrow("lf_q4_0_matmul_int8"), tileMatmul, heapAccess);
        quantize = linker.downcallHandle(symbols.findOrThrow("lf_quantize_activations"), FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
                heapAccess);
    }

    /** Quantizes sequence {@code s} of {@code q} from {@code x}, as {@link QuantizedActivations} defines. */
    void quantize(float[] x, QuantizedActivations q, int s) {
        int n = q.n, lanes = n / 4, blocks = n / QuantizedActivations.BLOCK;
        if (x.length < n) {
            throw new IllegalArgumentException("an input of " + x.length + " floats for " + n + " columns");
        }
        try {
            quantize.invokeExact(MemorySegment.ofArray(x), n, MemorySegment.ofArray(q.values).asSlice((long) s * n),
                    MemorySegment.ofArray(q.laneScales).asSlice(4L * s * lanes), MemorySegment.ofArray(q.q4Starts).asSlice(4L * s * blocks),
                    MemorySegment.ofArray(q.q8Starts).asSlice(4L * s * lanes));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * out[s][from..to) for every sequence of {@code x}; the batched C product writes into {@code results}
     * (batch × (to - from)) first. Returns false where it could not allocate; the caller then computes in Java.
     */
    boolean multiply(WeightMatrix w, QuantizedActivations x, float[][] out, int from, int to, float[] results) {
        if (w.format() != WeightFormat.Q8_0 && w.format() != WeightFormat.Q4_0) {
            throw new IllegalArgumentException(w.format() + " takes F32 activations");
        }
        if (x.n != w.cols()) {
            throw new IllegalArgumentException(w.name() + ": " + x.n + " quantized activations for " + w.cols() + " columns");
        }
        int rows = to - from;
        for (int b = 0; b < x.batch; b++) {
            java.util.Objects.checkFromToIndex(from, to, Math.min(w.rows(), out[b].length));
        }
        boolean q4 = w.format() == WeightFormat.Q4_0;
        long rowBytes = w.format().rowBytes(x.n);
        try {
            if (q4 && x.batch == 1) {
                q4Matvec.invokeExact(NativeProducts.tileOf(w, from), WeightFormat.q4TileBytes(x.n), from % WeightFormat.Q4_TILE_ROWS, rows,
                        MemorySegment.ofArray(x.values), MemorySegment.ofArray(x.q4Starts), MemorySegment.ofArray(x.laneScales), x.n,
                        MemorySegment.ofArray(out[0]).asSlice(4L * from));
                return true;
            }
            if (x.batch == 1) {
                q8Matvec.invokeExact(NativeProducts.rowsFrom(w, from), rowBytes, rows, MemorySegment.ofArray(x.values),
                        MemorySegment.ofArray(x.q8Starts), MemorySegment.ofArray(x.laneScales), x.n,
                        MemorySegment.ofArray(out[0]).asSlice(4L * from));
                return true;
            }
            if (!q4 && x.interleavedBytes == null) {
                throw new IllegalArgumentException("activations quantized without the batched Q8_0 layout");
            }
            if (results.length < x.batch * rows) {
                throw new IllegalArgumentException("scratch too small for " + x.batch + " sequences");
            }
            int status = q4
                    ? (int) q4Matmul.invokeExact(NativeProducts.tileOf(w, from), WeightFormat.q4TileBytes(x.n), from % WeightFormat.Q4_TILE_ROWS,
                            rows, MemorySegment.ofArray(x.values), MemorySegment.ofArray(x.q4Starts), MemorySegment.ofArray(x.laneScales),
                            x.n, x.batch, MemorySegment.ofArray(results), rows)
                    : (int) q8Matmul.invokeExact(NativeProducts.rowsFrom(w, from), rowBytes, rows, x.interleavedBytes,
                            x.interleavedScales, x.n, x.batch, MemorySegment.ofArray(results), rows);
            if (status != 0) {
                return false;
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        for (int b = 0; b < x.batch; b++) {
            System.arraycopy(results, b * rows, out[b], from, rows);
        }
        return true;
    }
}
