package io.lorafn.kernels.cuda;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import jcuda.NativePointerObject;

/**
 * SGMV's arguments for the adapted outputs of one call, packed into two host arrays so that they reach the device in two
 * copies: {@link #pointers} holds every segment's A matrix address, then every segment's B address; {@link #ints} holds,
 * per output, its segments' A formats, B formats, ranks and scales (a float's bits), then each row's segment (-1: none).
 *
 * <p>Why: each of those seven arrays had a copy of its own, for each adapted output, and a copy from pageable memory
 * waits for the device. At batch 1 with one adapter on the 1b preset, an H200 decoded 72 tokens/s against 235 without
 * the adapter: 784 small copies a step (RESULTS.md, fifteenth session).
 */
final class LoraArguments {
    /** The arrays of an output's region in {@link #ints}, in order: one int per segment each, then one per row. */
    enum Field { A_FORMATS, B_FORMATS, RANKS, SCALES, ROW_SEGMENTS }

    /** Ints per segment in an output's region: the fields before the rows' segments. */
    private static final int INTS_PER_SEGMENT = Field.ROW_SEGMENTS.ordinal();

    private final NativePointerObject[] pointers;
    private final int[] ints;
    private final int[] firstSegment;
    private final int[] firstInt;
    private final int[] maxRank;
    private final int[][] rowSegment;
    private final int segments;

    private LoraArguments(NativePointerObject[] pointers, int[] ints, int[] firstSegment, int[] firstInt, int[] maxRank, int[][] rowSegment,
                          int segments) {
        this.pointers = pointers;
        this.ints = ints;
        this.firstSegment = firstSegment;
        this.firstInt = firstInt;
        this.maxRank = maxRank;
        this.rowSegment = rowSegment;
        this.segments = segments;
    }

    /**
     * Packs {@code outputs}' segments (an empty list: that output has no adapter) for {@code rows} rows; {@code resident}
     * gives a matrix's copy on the device (uploading it on first use).
     */
    static LoraArguments of(List<List<LoraSegment>> outputs, int rows, Function<MemorySegment, ? extends NativePointerObject> resident) {
        int count = outputs.size(), segments = 0, intCount = 0;
        int[] firstSegment = new int[count], firstInt = new int[count];
        for (int i = 0; i < count; i++) {
            firstSegment[i] = segments;
            firstInt[i] = intCount;
            int s = outputs.get(i).size();
            segments += s;
            intCount += s == 0 ? 0 : INTS_PER_SEGMENT * s + rows;
        }
        NativePointerObject[] pointers = new NativePointerObject[2 * segments];
        int[] ints = new int[intCount], maxRank = new int[count];
        int[][] rowSegment = new int[count][];
        for (int i = 0; i < count; i++) {
            List<LoraSegment> out = outputs.get(i);
            int s = out.size(), at = firstInt[i];
            rowSegment[i] = new int[rows];
            Arrays.fill(rowSegment[i], -1);
            for (int k = 0; k < s; k++) {
                LoraSegment seg = out.get(k);
                pointers[firstSegment[i] + k] = resident.apply(seg.a().data());
                pointers[segments + firstSegment[i] + k] = resident.apply(seg.bTransposed().data());
                ints[at + Field.A_FORMATS.ordinal() * s + k] = format(seg.a().format());
                ints[at + Field.B_FORMATS.ordinal() * s + k] = format(seg.bTransposed().format());
                ints[at + Field.RANKS.ordinal() * s + k] = seg.a().rows();
                ints[at + Field.SCALES.ordinal() * s + k] = Float.floatToRawIntBits(seg.scale());
                maxRank[i] = Math.max(maxRank[i], seg.a().rows());
                for (int r : seg.rows()) {
                    rowSegment[i][r] = k;
                }
            }
            if (s > 0) {
                System.arraycopy(rowSegment[i], 0, ints, at + Field.ROW_SEGMENTS.ordinal() * s, rows);
            }
        }
        return new LoraArguments(pointers, ints, firstSegment, firstInt, maxRank, rowSegment, segments);
    }

    private static int format(WeightFormat f) {
        return switch (f) {
            case F32 -> 0;
            case BF16 -> 1;
            default -> throw new IllegalArgumentException("LoRA matrices are F32 or BF16, not " + f);
        };
    }

    /** Every segment's A address, then every segment's B address. */
    NativePointerObject[] pointers() {
        return pointers;
    }

    int[] ints() {
        return ints;
    }

    boolean adapted(int output) {
        return segmentsOf(output) > 0;
    }

    /** The largest rank over every output's segments: the shrunk rows' stride needs no more. */
    int maxRank() {
        return Arrays.stream(maxRank).max().orElse(0);
    }

    int maxRank(int output) {
        return maxRank[output];
    }

    /** Each row's segment in {@code output}, -1 for none. */
    int[] rowSegment(int output) {
        return rowSegment[output];
    }

    /** Byte offsets, in the uploaded {@link #pointers}, of {@code output}'s A addresses and of its B addresses. */
    long aPointersAt(int output) {
        return 8L * firstSegment[output];
    }

    long bPointersAt(int output) {
        return 8L * (segments + firstSegment[output]);
    }

    /** Byte offset, in the uploaded {@link #ints}, of {@code output}'s array {@code field}. */
    long intsAt(int output, Field field) {
        return 4L * (firstInt[output] + (long) field.ordinal() * segmentsOf(output));
    }

    private int segmentsOf(int output) {
        return (output + 1 < firstSegment.length ? firstSegment[output + 1] : segments) - firstSegment[output];
    }
}
