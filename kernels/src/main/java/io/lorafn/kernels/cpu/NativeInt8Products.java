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
 * The 8-bit activation products in C ({@code src/main/c/lorafn_int8_products.c} with AVX-512 VNNI, or the AVX2
 * build's in {@code lorafn_cpu_kernels_avx2.c}), from the library {@link NativeProducts} loaded, on CPUs that run
 * them. They compute the bits {@link Int8Products} defines. Calls are critical downcalls with heap access, as the exact products' are.
 */
final class NativeInt8Products {
    private final MethodHandle q8Matmul, q4Matmul, quantize;

    NativeInt8Products(SymbolLookup symbols) {
        Linker linker = Linker.nativeLinker();
        Linker.Option heapAccess = Linker.Option.critical(true);
        // (tiles, tile bytes, first row's lane, rows, values, block sums, block scales, n, batch, out, out stride,
        //  ranges to prefetch meanwhile, their count)
        FunctionDescriptor tiles = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        q8Matmul = linker.downcallHandle(symbols.findOrThrow("lf_q8_0_matmul_int8"), tiles, heapAccess);
        q4Matmul = linker.downcallHandle(symbols.findOrThrow("lf_q4_0_matmul_int8"), tiles, heapAccess);
        quantize = linker.downcallHandle(symbols.findOrThrow("lf_quantize_activations"), FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS), heapAccess);
    }

    /** Quantizes sequence {@code s} of {@code q} from {@code x}, as {@link QuantizedActivations} defines. */
    void quantize(float[] x, QuantizedActivations q, int s) {
        int n = q.n, blocks = n / QuantizedActivations.BLOCK;
        if (x.length < n) {
            throw new IllegalArgumentException("an input of " + x.length + " floats for " + n + " columns");
        }
        try {
            quantize.invokeExact(MemorySegment.ofArray(x), n, MemorySegment.ofArray(q.values).asSlice((long) s * n),
                    MemorySegment.ofArray(q.blockScales).asSlice(4L * s * blocks), MemorySegment.ofArray(q.blockSums).asSlice(4L * s * blocks));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** out[s][from..to) for every sequence of {@code x}, through {@link BatchedResults}. */
    void multiply(WeightMatrix w, QuantizedActivations x, float[][] out, int from, int to, float[] results) {
        multiply(w, x, out, from, to, results, MemorySegment.NULL, 0);
    }

    /**
     * {@link #multiply}, which with several sequences also brings {@code ranges} (address, bytes) pairs at {@code side}
     * into L2 as it goes: lines that work right after it will read, such as these rows' LoRA expand ({@link FusedLora}).
     * The addresses must be native memory that stays mapped for the call; a prefetch never faults, but the caller vouches.
     */
    void multiply(WeightMatrix w, QuantizedActivations x, float[][] out, int from, int to, float[] results, MemorySegment side, int ranges) {
        if (ranges < 0 || side.byteSize() < 16L * ranges) {
            throw new IllegalArgumentException(ranges + " prefetch ranges in " + side.byteSize() + " bytes");
        }
        if (!w.format().tiled()) {
            throw new IllegalArgumentException(w.format() + " takes F32 activations");
        }
        if (x.n != w.cols()) {
            throw new IllegalArgumentException(w.name() + ": " + x.n + " quantized activations for " + w.cols() + " columns");
        }
        int rows = to - from;
        MemorySegment y = BatchedResults.target(w, out, x.batch, from, to, results);
        MethodHandle kernel = w.format() == WeightFormat.Q8_0 ? q8Matmul : q4Matmul;
        try {
            kernel.invokeExact(NativeProducts.tileOf(w, from), w.format().tileBytes(x.n), from % WeightFormat.TILE_ROWS,
                    rows, MemorySegment.ofArray(x.values), MemorySegment.ofArray(x.blockSums), MemorySegment.ofArray(x.blockScales), x.n,
                    x.batch, y, rows, side, ranges);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        BatchedResults.copyOut(out, x.batch, from, to, results);
    }
}
