package io.lorafn.storage.image;

/**
 * The resident image's fixed frame: 8 bytes of magic, the header's length as a little-endian u64, the
 * header (UTF-8 JSON: format, config, source hash, tensor table), then tensors, each 64-byte aligned
 * (a cache line, and a whole number of any vector width the kernels use).
 */
final class ResidentImageFormat {
    static final byte[] MAGIC = {'L', 'O', 'R', 'A', 'F', 'N', 'I', '1'};
    static final int PREAMBLE = 16;
    static final int ALIGN = 64;
    /**
     * 3: Q8_0 matrices are stored in tiles of 16 interleaved rows (WeightFormat), as Q4_0's have been since 2; before,
     * row by row. An older image is still read where none of its tensors is in a format whose layout changed since
     * ({@link #layoutSince}).
     */
    static final int VERSION = 3;

    private ResidentImageFormat() {
    }

    /** The first version with this format's current layout. */
    static int layoutSince(io.lorafn.kernels.WeightFormat format) {
        return switch (format) {
            case Q8_0 -> 3;
            case Q4_0 -> 2;
            case F32, BF16 -> 1;
        };
    }

    static long align(long offset) {
        return (offset + ALIGN - 1) / ALIGN * ALIGN;
    }
}
