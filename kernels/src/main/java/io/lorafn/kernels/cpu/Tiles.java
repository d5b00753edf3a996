package io.lorafn.kernels.cpu;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Java path's Q8_0 and Q4_0 products, where the C products cannot run ({@link WeightFormat} has the tiles'
 * layout): {@link Q4Kernel#dot}'s order ({@link Q8Kernel#dot}'s for Q8_0) computed lane by lane, one row per
 * lane, so their bits. A tile's 16 rows go through vectors of this CPU's preferred width in 16 / L parts (a
 * 512-bit species on a CPU without AVX-512 would not compile to vector instructions at all). Each block of a
 * part is decoded once into a buffer (a float per weight per row, in the chains' order, 32 vectors) that stays in
 * L1, and every sequence of the batch then runs its chains over it, its sum kept between blocks in an array.
 * (Decoding a whole part first, 64 KB at 2048 columns and 8 lanes, read the buffer back from L2: 1b Q8_0 batch 1
 * at 6.3 tok/s under AVX2. Multiplying each weight as it was decoded, without a buffer, ran slower still: the
 * method grew past what C2 inlines, and vectors left between calls are objects.)
 *
 * <p>The species is a static final, fixed at class initialization: C2 compiles the Vector API to vector
 * instructions only where the species is a constant (held in an instance field, the 1b Q8_0 product ran
 * dozens of times slower). {@value #LANES_PROPERTY} sets the lanes (4, 8 or 16) for tests of other widths.
 */
final class Tiles {
    /** x's column offset of weight k of a chain, after the chain's first (4c). */
    private static final int[] CHAIN_OFFSETS = {0, 1, 2, 3, 16, 17, 18, 19};
    /** How far right weight k of a chain sits in its Q4_0 word. */
    private static final int[] Q4_SHIFTS = {0, 8, 16, 24, 4, 12, 20, 28};
    private static final float Q8_UNSCALE = 0x1p-24f;

    static final String LANES_PROPERTY = "lorafn.tiles.lanes";
    /** This CPU's preferred vectors, at most 16 lanes. */
    private static final VectorSpecies<Float> FLOATS = species();
    private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, FLOATS.vectorShape());
    static final int LANES = FLOATS.length();

    private Tiles() {
    }

    private static VectorSpecies<Float> species() {
        String forced = System.getProperty(LANES_PROPERTY);
        if (forced != null) {
            return switch (forced) {
                case "4" -> FloatVector.SPECIES_128;
                case "8" -> FloatVector.SPECIES_256;
                case "16" -> FloatVector.SPECIES_512;
                default -> throw new IllegalArgumentException(LANES_PROPERTY + " must be 4, 8 or 16, not '" + forced + "'");
            };
        }
        return FloatVector.SPECIES_PREFERRED.length() > 16 ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    }

    /** out[s][from..to) = rows [from, to) of m · x[s] for s < batch (m Q8_0 or Q4_0). */
    static void multiply(WeightMatrix m, float[][] x, float[][] out, int batch, int from, int to) {
        int blocks = m.cols() / 32;
        float[] decoded = scratch(0, 32 * LANES), scale = scratch(1, LANES), sums = scratch(2, batch * LANES);
        for (int t = from / 16; 16 * t < to; t++) {
            for (int part = 0; part < 16 / LANES; part++) {
                int first = 16 * t + part * LANES;
                if (first + LANES <= from || first >= to) {
                    continue;
                }
                long at = m.rowOffset(16 * t) + 4L * LANES * part; // the part's lanes of every line
                java.util.Arrays.fill(sums, 0, batch * LANES, 0f);
                for (int b = 0; b < blocks; b++) {
                    decode(m, at, b, decoded, scale);
                    FloatVector d = FloatVector.fromArray(FLOATS, scale, 0);
                    int column = 32 * b;
                    for (int s = 0; s < batch; s++) {
                        FloatVector p0 = chain(decoded, 0, x[s], column), p1 = chain(decoded, 1, x[s], column);
                        FloatVector p2 = chain(decoded, 2, x[s], column), p3 = chain(decoded, 3, x[s], column);
                        d.fma(p0.add(p1).add(p2.add(p3)), FloatVector.fromArray(FLOATS, sums, s * LANES)).intoArray(sums, s * LANES);
                    }
                }
                for (int s = 0; s < batch; s++) {
                    for (int r = Math.max(from, first); r < Math.min(to, first + LANES); r++) {
                        out[s][r] = sums[s * LANES + r - first];
                    }
                }
            }
        }
    }

    /** Each thread's buffers (a block's decoded weights, its scales, each sequence's sums), grown as needed. */
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[3][0]);

    private static float[] scratch(int slot, int floats) {
        float[][] buffers = SCRATCH.get();
        if (buffers[slot].length < floats) {
            buffers[slot] = new float[floats];
        }
        return buffers[slot];
    }

    /** p_c of one block: weight k of chain c is vector 8c + k of the block's decoded weights. */
    private static FloatVector chain(float[] decoded, int c, float[] x, int column) {
        int at = 8 * c * LANES, i = column + 4 * c;
        FloatVector sum = FloatVector.fromArray(FLOATS, decoded, at).mul(x[i]);
        for (int k = 1; k < 8; k++) {
            sum = FloatVector.fromArray(FLOATS, decoded, at + k * LANES).fma(FloatVector.broadcast(FLOATS, x[i + CHAIN_OFFSETS[k]]), sum);
        }
        return sum;
    }

    /** Block b's weights of the part at {@code at} as floats, in the chains' order, and its scales. */
    private static void decode(WeightMatrix m, long at, int b, float[] decoded, float[] scale) {
        MemorySegment w = m.data();
        FloatVector d = scales(w, at, m.format().pairBytes(), b);
        long words = m.format().wordsOffset(at, b);
        if (m.format() == WeightFormat.Q8_0) { // a branch each: a vector chosen between two would be a merged object to C2
            d.mul(Q8_UNSCALE).intoArray(scale, 0);
            for (int c = 0; c < 4; c++) { // each word loaded once for its four weights
                IntVector low = word(w, words, c), high = word(w, words, c + 4);
                for (int k = 0; k < 4; k++) {
                    q8Weight(low, k).intoArray(decoded, (8 * c + k) * LANES);
                    q8Weight(high, k).intoArray(decoded, (8 * c + 4 + k) * LANES);
                }
            }
            return;
        }
        d.intoArray(scale, 0);
        for (int c = 0; c < 4; c++) {
            for (int k = 0; k < 8; k++) { // the word loaded for each nibble: loaded once, batch 1 ran 6% slower (AVX2)
                q4Weight(word(w, words, c), k).intoArray(decoded, (8 * c + k) * LANES);
            }
        }
    }

    /** Word c of a block (its lanes' rows) at {@code words}. */
    private static IntVector word(MemorySegment w, long words, int c) {
        return IntVector.fromMemorySegment(INTS, w, words + 64L * c, ByteOrder.LITTLE_ENDIAN);
    }

    /** Byte k & 3 of each lane moved to the lane's top, as a float: q·2^24, as {@link Q8Kernel#dot} takes a weight. */
    private static FloatVector q8Weight(IntVector word, int k) {
        return (FloatVector) word.lanewise(VectorOperators.LSHL, 24 - 8 * (k & 3)).and(0xFF00_0000).convertShape(VectorOperators.I2F, FLOATS, 0);
    }

    /** Nibble k of each lane (Q4_SHIFTS' order) as q - 8. */
    private static FloatVector q4Weight(IntVector word, int k) {
        return (FloatVector) word.lanewise(VectorOperators.LSHR, Q4_SHIFTS[k]).and(0x0F).sub(8).convertShape(VectorOperators.I2F, FLOATS, 0);
    }

    /**
     * The scales of block b for the lanes at {@code at} as floats, converted from F16 in vector lanes (one at a time
     * through {@code Float.float16ToFloat} cost more than the block's arithmetic): the magnitude's bits moved into an
     * F32's place and multiplied by 2^112 (exact, subnormals included), then the sign. The same value as
     * {@code float16ToFloat} for every finite F16 (TilesTest checks all of them); the writer never stores an
     * infinite or NaN scale.
     */
    static FloatVector scales(MemorySegment w, long at, int pairBytes, int b) {
        IntVector half = IntVector.fromMemorySegment(INTS, w, at + (long) pairBytes * (b >> 1), ByteOrder.LITTLE_ENDIAN);
        if ((b & 1) == 1) {
            half = half.lanewise(VectorOperators.LSHR, 16);
        }
        FloatVector magnitude = half.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return magnitude.reinterpretAsInts().or(half.and(0x8000).lanewise(VectorOperators.LSHL, 16)).reinterpretAsFloats();
    }
}
