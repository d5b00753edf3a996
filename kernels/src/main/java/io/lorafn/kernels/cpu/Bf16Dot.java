package io.lorafn.kernels.cpu;

import io.lorafn.kernels.Bf16;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * BF16 weights with the activations rounded to BF16, as llama.cpp multiplies them (ggml's {@code vec_dot_type} for BF16),
 * through AVX512_BF16's {@code vdpbf16ps} in C ({@code lf_bf16_matmul_bf16x}): 32 multiply-adds an instruction and no
 * decoding, where the exact product decodes every weight and spends an FMA on it. Taken with 8-bit activations
 * ({@code --activations q8}) on CPUs that have the instruction; elsewhere BF16 weights keep F32 activations.
 *
 * <p>The result, which {@link #dot} defines and the C computes bit for bit: per (row, sequence), 16 lanes from zero; for
 * each 32-column chunk in order, lane l adds the product of column 2l+1, rounded to nearest even, then that of column
 * 2l, rounded, each with denormal inputs and results flushed to zero (the instruction's rounding, checked on a Zen 4:
 * RESULTS.md, fifteenth session); then the lanes folded: lane i + lane i+8, then i + i+4, then i + i+2, then 0 + 1.
 * Nothing depends on the batch, so a sequence's bits never do.
 */
final class Bf16Dot {
    private final MethodHandle matmul;

    private Bf16Dot(SymbolLookup symbols) {
        // (rows, row bytes, rows, BF16 activations, n, batch, out, out stride)
        matmul = Linker.nativeLinker().downcallHandle(symbols.findOrThrow("lf_bf16_matmul_bf16x"), FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.critical(true));
    }

    /** The C product from the AVX-512 build's {@code symbols}, where this CPU has AVX512_BF16; else null. */
    static Bf16Dot where(java.util.Set<String> cpuFlags, SymbolLookup symbols) {
        return cpuFlags.contains("avx512_bf16") ? new Bf16Dot(symbols) : null;
    }

    /** Whether it computes {@code w}: BF16 rows whose length is whole chunks. */
    static boolean handles(WeightMatrix w) {
        return w.format() == WeightFormat.BF16 && w.cols() % 32 == 0;
    }

    /** x rounded to BF16 ({@link Bf16#round}), sequence after sequence, n each. */
    static short[] round(float[][] x, int batch, int n) {
        short[] out = new short[batch * n];
        for (int s = 0; s < batch; s++) {
            for (int i = 0; i < n; i++) {
                out[s * n + i] = Bf16.round(x[s][i]);
            }
        }
        return out;
    }

    /**
     * out[s][from..to) = rows [from, to) of w · sequence s of {@code x} (from {@link #round}), for every sequence, through
     * {@link BatchedResults}.
     */
    void multiply(WeightMatrix w, short[] x, int batch, float[][] out, int from, int to, float[] results) {
        int n = w.cols(), rows = to - from;
        if (!handles(w) || x.length < batch * n) {
            throw new IllegalArgumentException(w.name() + ": " + w.format() + " " + n + " columns with " + x.length + " activations");
        }
        MemorySegment y = BatchedResults.target(w, out, batch, from, to, results);
        long rowBytes = w.format().rowBytes(n);
        try {
            matmul.invokeExact(NativeProducts.rowsFrom(w, from), rowBytes, rows, MemorySegment.ofArray(x), n, batch, y, rows);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        BatchedResults.copyOut(out, batch, from, to, results);
    }

    /** The definition: row {@code row} of w · the BF16 activations at x[offset, offset + n). */
    static float dot(WeightMatrix w, int row, short[] x, int offset) {
        int n = w.cols();
        long at = w.rowOffset(row);
        float[] lanes = new float[16];
        for (int c = 0; c < n; c += 32) {
            for (int l = 0; l < 16; l++) {
                int odd = c + 2 * l + 1, even = c + 2 * l;
                float sum = flushed(lanes[l] + value(w.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2L * odd)) * value(x[offset + odd]));
                lanes[l] = flushed(sum + value(w.data().get(ValueLayout.JAVA_SHORT_UNALIGNED, at + 2L * even)) * value(x[offset + even]));
            }
        }
        for (int width = 8; width >= 1; width /= 2) {
            for (int i = 0; i < width; i++) {
                lanes[i] += lanes[i + width];
            }
        }
        return lanes[0];
    }

    /** A BF16 value as a float, a denormal flushed to zero. */
    private static float value(short bf16) {
        return flushed(Bf16.toFloat(bf16));
    }

    private static float flushed(float f) {
        return Math.abs(f) < Float.MIN_NORMAL ? Math.copySign(0f, f) : f;
    }
}
