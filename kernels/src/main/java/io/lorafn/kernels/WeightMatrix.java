package io.lorafn.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A row-major {@code rows × cols} matrix viewed over memory it does not own (usually a mapped file).
 * Row {@code r} computes {@code y[r] = dot(row r, x)}, the {@code nn.Linear} convention.
 */
public record WeightMatrix(String name, WeightFormat format, MemorySegment data, int rows, int cols) {
    public WeightMatrix {
        long expected = format.matrixBytes(rows, cols);
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException(name + ": " + rows + "x" + cols + " " + format + " needs " + expected
                    + " bytes, the segment has " + data.byteSize());
        }
    }

    public long rowOffset(int row) {
        return format.rowOffset(row, cols);
    }

    public long byteSize() {
        return data.byteSize();
    }
}
