package io.lorafn.kernels;

/**
 * How a weight matrix is laid out in memory: every row is a whole number of blocks, each block holds
 * {@link #blockSize()} values in {@link #bytesPerBlock()} bytes. The kernels for each format live in
 * their own class in {@code kernels.cpu}; this enum only describes the layout.
 *
 * <p>Q8_0 and Q4_0 have llama.cpp's values (Q8_0: an F16 scale d and 32 signed bytes per block of 32, x = d·q;
 * Q4_0: an F16 scale and 16 bytes, byte j holding q[j] in its low and q[j+16] in its high nibble, x = d·(q - 8))
 * but not its order: rows are stored in tiles of {@link #TILE_ROWS}, interleaved so that one 64-byte line holds
 * four bytes of each of the tile's 16 rows. A product then puts one row in each 32-bit lane of a vector: a
 * decoded weight vector serves 16 rows (and every sequence of a batch), and an 8-bit activation product costs
 * one vpdpbusd per 64 weights of 16 rows. Rows one after another left Q4_0 bound by decoding at 0.6 of the
 * memory bandwidth, and Q8_0's batches bound by the stores of an L1 decode buffer. A tile is its blocks in
 * pairs, each pair {@link #pairBytes()} bytes:
 * <ul>
 *   <li>64 bytes of scales: row l's F16 scale of the pair's first block at byte 4l, of its second at 4l + 2;</li>
 *   <li>the first block's words, then the second's, word c of row l at 64c + 4l: for Q8_0 eight words (512
 *       bytes), word c holding the row's bytes 4c .. 4c+3 of the block; for Q4_0 four (256 bytes), word c
 *       holding its bytes 4c .. 4c+3.</li>
 * </ul>
 * A last unpaired block leaves its partner's scales zero and its words absent; a last partial tile is
 * padded with zero rows. Row l of a tile is addressed by {@code tile + 4l} ({@link #rowOffset}), from which
 * every one of its scales and words is a constant offset.
 */
public enum WeightFormat {
    F32(1, 4),
    BF16(1, 2),
    Q8_0(32, 34),
    Q4_0(32, 18);

    /** Rows per Q8_0 or Q4_0 tile. */
    public static final int TILE_ROWS = 16;

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

    /**
     * Bytes of one row of {@code cols} values: what a row costs to read (a tiled row shares its tile's lines);
     * cols must be a multiple of the block size.
     */
    public long rowBytes(int cols) {
        if (cols % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " columns, got " + cols);
        }
        return (long) (cols / blockSize) * bytesPerBlock;
    }

    /** Whether rows are stored in tiles of {@link #TILE_ROWS} (Q8_0 and Q4_0). */
    public boolean tiled() {
        return this == Q8_0 || this == Q4_0;
    }

    /** Rows stored together: a product's slices start at a multiple of this ({@link #TILE_ROWS} for tiled formats, else 1). */
    public int rowGroup() {
        return tiled() ? TILE_ROWS : 1;
    }

    /** Bytes of a {@code rows × cols} matrix. */
    public long matrixBytes(int rows, int cols) {
        if (!tiled()) {
            return rows * rowBytes(cols);
        }
        return (long) ((rows + TILE_ROWS - 1) / TILE_ROWS) * tileBytes(cols);
    }

    /** Where row {@code row} of a matrix with {@code cols} columns starts; for tiled formats, its tile plus 4 × its lane. */
    public long rowOffset(int row, int cols) {
        if (!tiled()) {
            return row * rowBytes(cols);
        }
        return (long) (row / TILE_ROWS) * tileBytes(cols) + 4L * (row % TILE_ROWS);
    }

    /** Bytes of one tile: {@link #pairBytes()} per pair of blocks, a last unpaired block counting as a pair. */
    public long tileBytes(int cols) {
        rowBytes(cols); // checks the multiple of 32
        return (long) pairBytes() * ((cols / blockSize + 1) / 2);
    }

    /** Where block {@code block}'s F16 scale of the tiled row at {@code row} (as {@link #rowOffset} gives it) sits. */
    public long scaleOffset(long row, int block) {
        return row + (long) pairBytes() * (block >> 1) + 2 * (block & 1);
    }

    /** Where block {@code block}'s first word of the tiled row at {@code row} sits; word c is 64·c bytes further. */
    public long wordsOffset(long row, int block) {
        int pair = pairBytes();
        return row + (long) pair * (block >> 1) + 64 + (pair - 64) / 2 * (block & 1);
    }

    /** Bytes of a pair of blocks in a tile: 64 of scales, then both blocks' 16 rows of values (Q8_0 1088, Q4_0 576). */
    public int pairBytes() {
        if (!tiled()) {
            throw new IllegalStateException(this + " is not stored in tiles");
        }
        return 64 + 2 * TILE_ROWS * (bytesPerBlock - 2);
    }
}
