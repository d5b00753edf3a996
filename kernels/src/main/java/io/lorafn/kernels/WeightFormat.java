package io.lorafn.kernels;

/**
 * How a weight matrix is laid out in memory: every row is a whole number of blocks, each block holds
 * {@link #blockSize()} values in {@link #bytesPerBlock()} bytes. The kernels for each format live in
 * their own class in {@code kernels.cpu}; this enum only describes the layout.
 *
 * <p>Q8_0 is llama.cpp's block: an F16 scale d, then 32 signed bytes (x = d·q); rows follow one another.
 *
 * <p>Q4_0 has llama.cpp's values (an F16 scale d and 16 bytes per block of 32, byte j holding q[j] in its low
 * and q[j+16] in its high nibble, x = d·(q - 8)) but not its order: rows are stored in tiles of
 * {@link #Q4_TILE_ROWS}, interleaved so that one 64-byte line holds four bytes of each of the tile's 16 rows.
 * A product then puts one row in each 32-bit lane of a vector, and an 8-bit activation product costs a
 * handful of instructions per 512 weights instead of per 64 (rows one after another left Q4_0 bound by
 * decoding, at 0.6 of the memory bandwidth). A tile is its blocks in pairs, each pair 576 bytes:
 * <ul>
 *   <li>64 bytes of scales: row l's F16 scale of the pair's first block at byte 4l, of its second at 4l + 2;</li>
 *   <li>256 bytes for the first block, then 256 for the second: word c (c = 0..3) of row l at 64c + 4l,
 *       holding the row's bytes 4c .. 4c+3 of the block.</li>
 * </ul>
 * A last unpaired block leaves its partner's scales zero and its 256 bytes absent; a last partial tile is
 * padded with zero rows. Row l of a tile is addressed by {@code tile + 4l} ({@link #rowOffset}), from which
 * every one of its scales and words is a constant offset.
 */
public enum WeightFormat {
    F32(1, 4),
    BF16(1, 2),
    Q8_0(32, 34),
    Q4_0(32, 18);

    /** Rows per Q4_0 tile. */
    public static final int Q4_TILE_ROWS = 16;

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
     * Bytes of one row of {@code cols} values: what a row costs to read (Q4_0 rows share their tile's lines);
     * cols must be a multiple of the block size.
     */
    public long rowBytes(int cols) {
        if (cols % blockSize != 0) {
            throw new IllegalArgumentException(this + " needs a multiple of " + blockSize + " columns, got " + cols);
        }
        return (long) (cols / blockSize) * bytesPerBlock;
    }

    /** Rows stored together: a product's slices start at a multiple of this ({@link #Q4_TILE_ROWS} for Q4_0, else 1). */
    public int rowGroup() {
        return this == Q4_0 ? Q4_TILE_ROWS : 1;
    }

    /** Bytes of a {@code rows × cols} matrix. */
    public long matrixBytes(int rows, int cols) {
        if (this != Q4_0) {
            return rows * rowBytes(cols);
        }
        return (long) tiles(rows) * q4TileBytes(cols);
    }

    /** Where row {@code row} of a matrix with {@code cols} columns starts; for Q4_0, its tile plus 4 × its lane. */
    public long rowOffset(int row, int cols) {
        if (this != Q4_0) {
            return row * rowBytes(cols);
        }
        return (long) (row / Q4_TILE_ROWS) * q4TileBytes(cols) + 4L * (row % Q4_TILE_ROWS);
    }

    private static int tiles(int rows) {
        return (rows + Q4_TILE_ROWS - 1) / Q4_TILE_ROWS;
    }

    /** Bytes of one Q4_0 tile: 576 per pair of blocks, a last unpaired block counting as a pair. */
    public static long q4TileBytes(int cols) {
        Q4_0.rowBytes(cols); // checks the multiple of 32
        return 576L * ((cols / 32 + 1) / 2);
    }
}
