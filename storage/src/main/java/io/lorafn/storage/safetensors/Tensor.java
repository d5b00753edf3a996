package io.lorafn.storage.safetensors;

import io.lorafn.kernels.Bf16;
import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** One tensor of a safetensors file: a view over the mapped file, never a copy. */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public int dim(int i) {
        return Math.toIntExact(shape[i]);
    }

    public String shapeText() {
        return Arrays.toString(shape);
    }

    /** Element i as a float; exact for F32, F16 and BF16. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.get(F32, 4 * i);
            case BF16 -> Float.intBitsToFloat(data.get(I16, 2 * i) << 16);
            case F16 -> Float.float16ToFloat(data.get(I16, 2 * i));
            default -> throw new IllegalStateException(name + " has dtype " + dtype + ", not a float type");
        };
    }

    /**
     * The index of the first NaN or infinity, or -1. Works on the bits: a float type's value is not
     * finite exactly when its exponent field is all ones. Vectorized, since adapters are checked each
     * time one becomes hot (an all-linear rank-16 adapter of the 1b preset holds 11 M values).
     */
    public long firstNonFinite() {
        int exponent = switch (dtype) {
            case F32 -> 0x7F800000;
            case BF16 -> 0x7F80;
            case F16 -> 0x7C00;
            default -> throw new IllegalStateException(name + " has dtype " + dtype + ", not a float type");
        };
        long n = elementCount();
        if (dtype == DType.F32) {
            VectorSpecies<Integer> s = IntVector.SPECIES_256;
            long i = 0;
            for (long bound = n - s.length() + 1; i < bound; i += s.length()) {
                IntVector bits = IntVector.fromMemorySegment(s, data, 4 * i, ByteOrder.LITTLE_ENDIAN).and(exponent);
                if (bits.compare(VectorOperators.EQ, exponent).anyTrue()) {
                    break; // the scalar loop below finds the exact index
                }
            }
            for (; i < n; i++) {
                if ((data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * i) & exponent) == exponent) {
                    return i;
                }
            }
            return -1;
        }
        VectorSpecies<Short> s = ShortVector.SPECIES_256;
        short e = (short) exponent;
        long i = 0;
        for (long bound = n - s.length() + 1; i < bound; i += s.length()) {
            ShortVector bits = ShortVector.fromMemorySegment(s, data, 2 * i, ByteOrder.LITTLE_ENDIAN).and(e);
            if (bits.compare(VectorOperators.EQ, e).anyTrue()) {
                break;
            }
        }
        for (; i < n; i++) {
            if ((data.get(I16, 2 * i) & exponent) == exponent) {
                return i;
            }
        }
        return -1;
    }

    /** Copies elements [from, from + out.length) as floats; for small tensors and per-request use. */
    public float[] toFloats(long from, float[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(from + i);
        }
        return out;
    }

    /**
     * This 2-D tensor as a kernel matrix. F32 and BF16 are used in place; F16 has no kernel, so it is
     * widened (exactly) to F32 in {@code widenInto}.
     */
    public WeightMatrix asMatrix(SegmentAllocator widenInto) {
        int rows = dim(0), cols = dim(1);
        return switch (dtype) {
            case F32 -> new WeightMatrix(name, WeightFormat.F32, data, rows, cols);
            case BF16 -> new WeightMatrix(name, WeightFormat.BF16, data, rows, cols);
            case F16 -> new WeightMatrix(name, WeightFormat.F32, widenF16(widenInto), rows, cols);
            default -> throw new IllegalStateException(name + " has dtype " + dtype + ", not a float type");
        };
    }

    /**
     * This 2-D tensor as a BF16 kernel matrix: BF16 in place, any other float type narrowed (round to nearest even)
     * into {@code narrowInto}.
     */
    public WeightMatrix asBf16Matrix(SegmentAllocator narrowInto) {
        int rows = dim(0), cols = dim(1);
        if (dtype == DType.BF16) {
            return new WeightMatrix(name, WeightFormat.BF16, data, rows, cols);
        }
        long n = elementCount();
        MemorySegment out = narrowInto.allocate(2 * n, 64);
        for (long i = 0; i < n; i++) {
            out.set(I16, 2 * i, Bf16.round(getFloat(i)));
        }
        return new WeightMatrix(name, WeightFormat.BF16, out, rows, cols);
    }

    private MemorySegment widenF16(SegmentAllocator arena) {
        long n = elementCount();
        MemorySegment out = arena.allocate(4 * n, 64);
        for (long i = 0; i < n; i++) {
            out.set(F32, 4 * i, getFloat(i));
        }
        return out;
    }

    public float[] toFloats() {
        return toFloats(0, new float[Math.toIntExact(elementCount())]);
    }
}
