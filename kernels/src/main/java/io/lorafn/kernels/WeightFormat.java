package io.lorafn.kernels;

/**
 * How a weight matrix is laid out in memory: every row is a whole number of blocks, each block holds
 * {@link #blockSize()} values in {@link #bytesPerBlock()} bytes. The kernels for each format live in
 * their own class in {@code kernels.cpu}; this enum only describes the layout.
 *
 * <p>Q8_0 and Q4_0 are llama.cpp's blocks: an F16 scale d, then 32 signed bytes (x = d·q), or 16 bytes of
 * nibbles where byte j holds q[j] in its low and q[j+16] in its high nibble (x = d·(q - 8)).
 */
public enum WeightFormat {
    F32(1, 4),
    BF16(1, 2),
    Q8_0(32, 34),
    Q4_0(32, 18);

    private final int blockSize;
    private final int bytesPerBlock;

    WeightFormat(int blockSize, int bytesPerBlock) {
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    public int blockSize() {
        return blockSize;
    }

    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Bytes of one row of {@code cols} values; cols must be a multiple of the block size. */
    public long rowBytes(int cols) {
        if (cols % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " columns, got " + cols);
        }
        return (long) (cols / blockSize) * bytesPerBlock;
    }
}
