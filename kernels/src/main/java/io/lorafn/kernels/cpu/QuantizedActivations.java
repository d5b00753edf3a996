package io.lorafn.kernels.cpu;

/**
 * A batch of activation vectors quantized to 8 bits per block of 32, as {@link Int8Products} multiplies
 * them: for each block, dx = max|x| / 127 and q = rint(x / dx), clamped to ±127. Stored for the C products'
 * convenience: q as signed bytes, each block's dx, and each block's sum of q (the C products offset the weights
 * to make them unsigned and start each block from minus the offset times that sum). Sequence s starts at byte
 * {@code s·n} and block {@code s·n/32}. (dx had been repeated for each of a block's eight lanes of four, 8 KB a
 * sequence of 8192 that crossed L1 beside the weights: with one a block, 1b 8-bit batch 8 went 212-231 -> 239-262
 * tok/s at Q4_0 and 152-172 -> 201-203 at Q8_0, Zen 4.)
 *
 * <p>Each sequence is quantized on its own, so its bytes never depend on the rest of the batch.
 */
final class QuantizedActivations {
    static final int BLOCK = 32;

    final int n;
    final int batch;
    /** q per value. */
    final byte[] values;
    /** dx per block. */
    final float[] blockScales;
    /** Each block's sum of q. */
    final int[] blockSums;

    private QuantizedActivations(int n, int batch) {
        this.n = n;
        this.batch = batch;
        this.values = new byte[n * batch];
        this.blockScales = new float[n / BLOCK * batch];
        this.blockSums = new int[n / BLOCK * batch];
    }

    /** Quantizes the first {@code n} values of {@code x[0..batch)}; n a multiple of 32. */
    static QuantizedActivations of(float[][] x, int batch, int n) {
        return of(x, batch, n, null, null);
    }

    /**
     * The same, through the C quantizer where one is given (the same bits, faster), written over {@code reuse} where
     * it has this shape, so a step's products need not allocate their inputs.
     */
    static QuantizedActivations of(float[][] x, int batch, int n, NativeInt8Products products, QuantizedActivations reuse) {
        if (n % BLOCK != 0) {
            throw new IllegalArgumentException("8-bit activations need a multiple of 32 values, got " + n);
        }
        QuantizedActivations q = reuse != null && reuse.n == n && reuse.batch == batch ? reuse : new QuantizedActivations(n, batch);
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
            int sum = 0;
            for (int j = 0; j < BLOCK; j++) {
                byte q = (byte) Math.clamp((int) Math.rint(x[i + j] * inverse), -127, 127);
                values[s * n + i + j] = q;
                sum += q;
            }
            blockScales[(s * n + i) / BLOCK] = dx;
            blockSums[(s * n + i) / BLOCK] = sum;
        }
    }

    /** The signed integer of value {@code i} of sequence {@code s}. */
    int q(int s, int i) {
        return values[s * n + i];
    }

    /** dx of the block holding value {@code i} of sequence {@code s}. */
    float scale(int s, int i) {
        return blockScales[(s * n + i) / BLOCK];
    }
}
