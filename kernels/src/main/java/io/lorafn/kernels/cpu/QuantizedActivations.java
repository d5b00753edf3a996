package io.lorafn.kernels.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A batch of activation vectors quantized to 8 bits per block of 32, as {@link Int8Products} multiplies
 * them: for each block, dx = max|x| / 127 and q = rint(x / dx), clamped to ±127. Stored for the C
 * products' convenience: q as signed bytes, dx repeated for each of the block's eight lanes of four, and
 * the starting values for the formats whose weights the C products offset to make them unsigned: minus the
 * offset times the sum of q, per block for Q4_0 (nibbles are q + 8), per lane of four for Q8_0 (bytes shifted
 * by 128). Sequence s starts at byte {@code s·n}, lane {@code s·n/4} and block {@code s·n/32}. Batches are
 * also laid out pair of blocks by pair ({@link #interleavedBytes}, {@link #interleavedScales}), the order in
 * which the batched Q8_0 C product reads them.
 *
 * <p>Each sequence is quantized on its own, so its bytes never depend on the rest of the batch.
 */
final class QuantizedActivations {
    static final int BLOCK = 32;

    final int n;
    final int batch;
    /** q per value. */
    final byte[] values;
    /** dx per lane of four values. */
    final float[] laneScales;
    /** -8 times each block's sum of q: where the Q4_0 C products start each block. */
    final int[] q4Starts;
    /** -128 times each lane's sum of q: where the Q8_0 C products start each lane. */
    final int[] q8Starts;
    /**
     * Batches for Q8_0 only, else null: q + 128 as [pair of blocks][sequence][64 bytes], an unpaired last block
     * padded with zeros (the batched Q4_0 product reads {@link #values} as they are). Off the heap and 64-byte
     * aligned, so each of the C product's 64-byte loads is one cache line: from a Java array (16-byte aligned)
     * every load spanned two, and a batch-8 step of 8-bit Q8_0 products ran 17% slower (1b shapes, 2 threads).
     */
    final MemorySegment interleavedBytes;
    /** Where {@link #interleavedBytes} is: the lane scales as [pair][sequence][16], padded with zeros; aligned alike. */
    final MemorySegment interleavedScales;

    private QuantizedActivations(int n, int batch, boolean interleaved) {
        this.n = n;
        this.batch = batch;
        this.values = new byte[n * batch];
        this.laneScales = new float[n / 4 * batch];
        this.q4Starts = new int[n / BLOCK * batch];
        this.q8Starts = new int[n / 4 * batch];
        int pairs = (n / BLOCK + 1) / 2;
        // zeroed on allocation, freed with this object; reused from step to step (see of(...reuse))
        this.interleavedBytes = interleaved ? Arena.ofAuto().allocate(pairs * batch * 64L, 64) : null;
        this.interleavedScales = interleaved ? Arena.ofAuto().allocate(pairs * batch * 16L * Float.BYTES, 64) : null;
    }

    /** Quantizes the first {@code n} values of {@code x[0..batch)}; n a multiple of 32. */
    static QuantizedActivations of(float[][] x, int batch, int n) {
        return of(x, batch, n, null);
    }

    /** The same, through the C quantizer where one is given (the same bits, faster). */
    static QuantizedActivations of(float[][] x, int batch, int n, NativeInt8Products products) {
        return of(x, batch, n, products, true, null);
    }

    /**
     * The same; a batch is also {@link #interleave interleaved} only where {@code forQ8} (the batched Q8_0 product reads
     * that layout). Written over {@code reuse} where it has this shape (every byte but the zero padding is rewritten), so
     * a step's products need not allocate their inputs: at batch 8 they came to about 10 MB a step, all zeroed first.
     */
    static QuantizedActivations of(float[][] x, int batch, int n, NativeInt8Products products, boolean forQ8, QuantizedActivations reuse) {
        if (n % BLOCK != 0) {
            throw new IllegalArgumentException("8-bit activations need a multiple of 32 values, got " + n);
        }
        boolean interleaved = batch > 1 && forQ8;
        QuantizedActivations q = reuse != null && reuse.n == n && reuse.batch == batch && (reuse.interleavedBytes != null) == interleaved
                ? reuse : new QuantizedActivations(n, batch, interleaved);
        for (int s = 0; s < batch; s++) {
            if (x[s].length < n) {
                throw new IllegalArgumentException("an input of " + x[s].length + " floats for " + n + " columns");
            }
            if (products != null) {
                products.quantize(x[s], q, s);
            } else {
                q.quantize(x[s], s);
            }
        }
        if (q.interleavedBytes != null) {
            q.interleave();
        }
        return q;
    }

    private void quantize(float[] x, int s) {
        for (int i = 0; i < n; i += BLOCK) {
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[i + j]));
            }
            float dx = amax / 127f;
            float inverse = dx != 0f ? 1f / dx : 0f;
            for (int j = 0; j < BLOCK; j++) {
                values[s * n + i + j] = (byte) Math.clamp((int) Math.rint(x[i + j] * inverse), -127, 127);
            }
            int blockSum = 0;
            for (int lane = (s * n + i) / 4; lane < (s * n + i + BLOCK) / 4; lane++) {
                int sum = values[4 * lane] + values[4 * lane + 1] + values[4 * lane + 2] + values[4 * lane + 3];
                laneScales[lane] = dx;
                q8Starts[lane] = -128 * sum;
                blockSum += sum;
            }
            q4Starts[(s * n + i) / BLOCK] = -8 * blockSum;
        }
    }

    /** Pair by pair, 64 bytes and 16 scales at a time (q + 128 is q with its top bit flipped); byte by byte it cost about 3% of a batch-8 step. */
    private void interleave() {
        int pairBytes = 2 * BLOCK;
        for (int s = 0; s < batch; s++) {
            for (int start = 0, pair = 0; start < n; start += pairBytes, pair++) {
                int to = (pair * batch + s) * 64;
                VectorSpecies<Byte> species = n - start >= pairBytes ? ByteVector.SPECIES_512 : ByteVector.SPECIES_256; // an unpaired last block
                ByteVector.fromArray(species, values, s * n + start).lanewise(VectorOperators.XOR, (byte) 0x80)
                        .intoMemorySegment(interleavedBytes, to, ByteOrder.nativeOrder());
                MemorySegment.copy(laneScales, s * (n / 4) + pair * 16, interleavedScales, ValueLayout.JAVA_FLOAT,
                        (pair * batch + s) * 16L * Float.BYTES, species.length() / 4);
            }
        }
    }

    /** The signed integer of value {@code i} of sequence {@code s}. */
    int q(int s, int i) {
        return values[s * n + i];
    }

    /** dx of the block holding value {@code i} of sequence {@code s}. */
    float scale(int s, int i) {
        return laneScales[(s * n + i) / 4];
    }
}
