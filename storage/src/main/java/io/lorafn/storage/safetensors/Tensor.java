package io.lorafn.storage.safetensors;

import io.lorafn.kernels.WeightFormat;
import io.lorafn.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

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
    public WeightMatrix asMatrix(Arena widenInto) {
        int rows = dim(0), cols = dim(1);
        return switch (dtype) {
            case F32 -> new WeightMatrix(name, WeightFormat.F32, data, rows, cols);
            case BF16 -> new WeightMatrix(name, WeightFormat.BF16, data, rows, cols);
            case F16 -> new WeightMatrix(name, WeightFormat.F32, widenF16(widenInto), rows, cols);
            default -> throw new IllegalStateException(name + " has dtype " + dtype + ", not a float type");
        };
    }

    private MemorySegment widenF16(Arena arena) {
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
