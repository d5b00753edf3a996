package io.lorafn.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lorafn.kernels.LoraSegment;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import io.lorafn.kernels.cuda.LoraArguments.Field;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** The packing the device reads (no device needed): every array where the kernels' pointers say it is. */
class LoraArgumentsTest {
    private final Arena arena = Arena.ofAuto();
    private final Map<MemorySegment, CUdeviceptr> devicePointers = new IdentityHashMap<>();

    private WeightMatrix matrix(WeightFormat format, int rows, int cols) {
        return new WeightMatrix("m", format, arena.allocate(format.matrixBytes(rows, cols), 64), rows, cols);
    }

    private CUdeviceptr resident(MemorySegment data) {
        return devicePointers.computeIfAbsent(data, d -> new CUdeviceptr());
    }

    private static int[] slice(int[] ints, long byteOffset, int count) {
        int from = (int) (byteOffset / 4);
        return java.util.Arrays.copyOfRange(ints, from, from + count);
    }

    @Test
    void eachOutputsArraysLieWhereItsOffsetsSay() {
        LoraSegment q1 = new LoraSegment(matrix(WeightFormat.F32, 4, 32), matrix(WeightFormat.BF16, 4, 48), 0.5f, new int[] {0, 2});
        LoraSegment q2 = new LoraSegment(matrix(WeightFormat.BF16, 8, 32), matrix(WeightFormat.F32, 8, 48), 2f, new int[] {1});
        LoraSegment v1 = new LoraSegment(matrix(WeightFormat.F32, 16, 32), matrix(WeightFormat.F32, 16, 16), 0.25f, new int[] {3});
        LoraArguments args = LoraArguments.of(List.of(List.of(q1, q2), List.of(), List.of(v1)), 4, this::resident);

        assertTrue(args.adapted(0));
        assertFalse(args.adapted(1), "an output without adapters launches nothing");
        assertTrue(args.adapted(2));
        assertEquals(8, args.maxRank(0));
        assertEquals(16, args.maxRank(2));
        assertEquals(16, args.maxRank());

        var pointers = args.pointers();
        assertEquals(6, pointers.length, "three segments' A, then their B");
        assertSame(resident(q1.a().data()), pointers[(int) (args.aPointersAt(0) / 8)]);
        assertSame(resident(q2.a().data()), pointers[(int) (args.aPointersAt(0) / 8) + 1]);
        assertSame(resident(q1.bTransposed().data()), pointers[(int) (args.bPointersAt(0) / 8)]);
        assertSame(resident(q2.bTransposed().data()), pointers[(int) (args.bPointersAt(0) / 8) + 1]);
        assertSame(resident(v1.a().data()), pointers[(int) (args.aPointersAt(2) / 8)]);
        assertSame(resident(v1.bTransposed().data()), pointers[(int) (args.bPointersAt(2) / 8)]);

        int[] ints = args.ints();
        assertArrayEquals(new int[] {0, 1}, slice(ints, args.intsAt(0, Field.A_FORMATS), 2), "F32 is 0, BF16 1");
        assertArrayEquals(new int[] {1, 0}, slice(ints, args.intsAt(0, Field.B_FORMATS), 2));
        assertArrayEquals(new int[] {4, 8}, slice(ints, args.intsAt(0, Field.RANKS), 2));
        assertArrayEquals(new int[] {Float.floatToRawIntBits(0.5f), Float.floatToRawIntBits(2f)}, slice(ints, args.intsAt(0, Field.SCALES), 2));
        assertArrayEquals(new int[] {0, 1, 0, -1}, slice(ints, args.intsAt(0, Field.ROW_SEGMENTS), 4));
        assertArrayEquals(new int[] {0, 1, 0, -1}, args.rowSegment(0));
        assertArrayEquals(new int[] {0}, slice(ints, args.intsAt(2, Field.A_FORMATS), 1));
        assertArrayEquals(new int[] {16}, slice(ints, args.intsAt(2, Field.RANKS), 1));
        assertArrayEquals(new int[] {Float.floatToRawIntBits(0.25f)}, slice(ints, args.intsAt(2, Field.SCALES), 1));
        assertArrayEquals(new int[] {-1, -1, -1, 0}, slice(ints, args.intsAt(2, Field.ROW_SEGMENTS), 4));
        assertEquals(4 * 2 + 4 + 4 * 1 + 4, ints.length, "nothing for the output without adapters");
        assertArrayEquals(new int[] {-1, -1, -1, -1}, args.rowSegment(1));
    }

    @Test
    void noAdapterAnywhereNeedsNothingUploaded() {
        LoraArguments args = LoraArguments.of(List.of(List.of(), List.of()), 2, this::resident);
        assertEquals(0, args.maxRank());
        assertEquals(0, args.pointers().length);
        assertEquals(0, args.ints().length);
    }

    @Test
    void adapterMatricesAreF32OrBf16() {
        LoraSegment q8 = new LoraSegment(matrix(WeightFormat.Q8_0, 32, 32), matrix(WeightFormat.F32, 32, 16), 1f, new int[] {0});
        assertThrows(IllegalArgumentException.class, () -> LoraArguments.of(List.of(List.of(q8)), 1, this::resident));
    }
}
