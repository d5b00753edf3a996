package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightMatrix;

/**
 * A product for several sequences over rows [from, to): each weight row is decoded once into an
 * L1-resident buffer and dotted with every sequence, in the solo kernel's summation order, so batching
 * never changes a bit. Rows of a length that is a multiple of 32 go four at a time through
 * {@link TileDot}; others three at a time through {@link DenseDot#dotThreeRows}.
 *
 * <p>Only BF16 comes here (F32 needs no decoding, Q8_0 and Q4_0 have their tiles' products), and only where
 * the C products are not loaded. An earlier version touched the next chunk of rows before computing the
 * current one; without it, batch 8 over the 1b shapes (2 threads) ran 11% faster at BF16.
 */
final class BatchedRows {
    private final RowKernel kernel;
    private final WeightMatrix w;
    private final int n;
    private final float[][] decoded = new float[TileDot.ROWS][];
    private final float[] results = new float[2 * TileDot.ROWS];
    private final float[] scratch = new float[32];

    BatchedRows(RowKernel kernel, WeightMatrix w) {
        this.kernel = kernel;
        this.w = w;
        this.n = w.cols();
        for (int i = 0; i < decoded.length; i++) {
            decoded[i] = new float[n];
        }
    }

    void multiply(float[][] x, float[][] out, int batch, int from, int to) {
        int r = TileDot.fits(n) ? tiles(x, out, batch, from, to) : triples(x, out, batch, from, to);
        for (; r < to; r++) {
            decode(r, 0);
            for (int b = 0; b < batch; b++) {
                out[b][r] = DenseDot.dot(decoded[0], x[b], n);
            }
        }
    }

    /** Rows four at a time, sequences two at a time; returns the first row not done. */
    private int tiles(float[][] x, float[][] out, int batch, int r, int end) {
        for (; r + 3 < end; r += 4) {
            for (int i = 0; i < 4; i++) {
                decode(r + i, i);
            }
            int b = 0;
            for (; b + 1 < batch; b += 2) {
                TileDot.fourRowsTwoSequences(decoded[0], decoded[1], decoded[2], decoded[3], x[b], x[b + 1], n, results, scratch);
                for (int i = 0; i < 4; i++) {
                    out[b][r + i] = results[i];
                    out[b + 1][r + i] = results[4 + i];
                }
            }
            if (b < batch) {
                TileDot.fourRows(decoded[0], decoded[1], decoded[2], decoded[3], x[b], n, results, scratch);
                for (int i = 0; i < 4; i++) {
                    out[b][r + i] = results[i];
                }
            }
        }
        return r;
    }

    /** Rows three at a time against one sequence; returns the first row not done. */
    private int triples(float[][] x, float[][] out, int batch, int r, int end) {
        for (; r + 2 < end; r += 3) {
            for (int i = 0; i < 3; i++) {
                decode(r + i, i);
            }
            for (int b = 0; b < batch; b++) {
                DenseDot.dotThreeRows(decoded[0], decoded[1], decoded[2], x[b], n, results);
                out[b][r] = results[0];
                out[b][r + 1] = results[1];
                out[b][r + 2] = results[2];
            }
        }
        return r;
    }

    private void decode(int row, int buffer) {
        kernel.dequantize(w.data(), w.rowOffset(row), decoded[buffer], n);
    }
}
